package io.millrace.metadata;

import java.time.Instant;

/**
 * Row of {@code channels}: one channel incarnation (its id is never reused). {@code sealChunkSeq}
 * is null while unsealed, else the chunk seq of its seal object.
 */
public record ChannelRecord(
    String channelId, String node, String storageClass, Instant startedAt, Long sealChunkSeq) {}
