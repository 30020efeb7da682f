package io.millrace.metadata;

import io.millrace.core.config.StreamConfig;
import java.time.Instant;

/**
 * Row of {@code streams}: name to stream id, the fully resolved config, lifecycle. A re-created
 * stream of the same name gets a new {@code streamId}.
 */
public record StreamRecord(
    String basin,
    String name,
    String streamId,
    StreamConfig config,
    Instant createdAt,
    Instant deletedAt,
    String createToken,
    String cipher,
    long version) {}
