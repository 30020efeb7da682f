package io.millrace.core.api;

import java.time.Instant;

/** A stream as listed: {@code deletedAt} is set while its deletion is pending. */
public record StreamInfo(String name, Instant createdAt, Instant deletedAt, String cipher) {}
