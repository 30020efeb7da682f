package io.millrace.metadata;

import java.time.Instant;

/**
 * Row of {@code channels}: one channel incarnation (its id is never reused). {@code sealChunkSeq}
 * is null while unsealed, else the chunk seq of its seal object. {@code collectedThrough} is the
 * chunk GC's watermark (schema version 3): every chunk at or below it may have been deleted, none
 * above it was; null while nothing is collected.
 */
public record ChannelRecord(
    String channelId,
    String node,
    String storageClass,
    Instant startedAt,
    Long sealChunkSeq,
    Long collectedThrough) {

  /** A row with nothing collected. */
  public ChannelRecord(
      String channelId, String node, String storageClass, Instant startedAt, Long sealChunkSeq) {
    this(channelId, node, storageClass, startedAt, sealChunkSeq, null);
  }

  /** The first chunk seq that is not collected: recovery reads and seals the WAL from there. */
  public long firstUncollected() {
    return collectedThrough == null ? 0 : collectedThrough + 1;
  }
}
