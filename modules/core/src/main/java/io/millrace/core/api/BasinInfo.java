package io.millrace.core.api;

import java.time.Instant;

/** A basin as listed: {@code deletedAt} is set while its deletion is pending. */
public record BasinInfo(String name, String location, Instant createdAt, Instant deletedAt) {}
