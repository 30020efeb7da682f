package io.millrace.engine.wal;

import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The first WAL chunk of a channel incarnation that recovery may still need: every chunk below it
 * may have been deleted on purpose (WAL chunk GC deletes a chunk once every stream section in it is
 * in segments, and only a prefix of chunks that were all acknowledged). Recovery never treats a
 * missing chunk below the horizon as a hole, and never searches for a channel's first missing chunk
 * below it.
 *
 * <p>Assumption the hole check relies on: chunks are collected as a contiguous prefix, so every
 * chunk at or above the horizon that recovery reads (a streamlet's chunks up to the seal) is still
 * there unless it was lost.
 */
@FunctionalInterface
public interface WalHorizon {
  /** No chunk was ever collected: recovery may need every chunk from 0. */
  WalHorizon NONE = channelId -> CompletableFuture.completedFuture(0L);

  /** What {@link #firstNeededChunk} answers for a channel collected entirely (its row is gone). */
  long COLLECTED = Long.MAX_VALUE;

  /**
   * The chunk GC's watermark in the metadata store: the first chunk above the channel row's {@code
   * collected_through}, or {@link #COLLECTED} when the row is gone.
   */
  static WalHorizon of(MetadataStore metadata) {
    return channelId ->
        metadata
            .getChannel(channelId)
            .thenApply(ch -> ch.map(ChannelRecord::firstUncollected).orElse(COLLECTED));
  }

  /** The lowest chunk seq of {@code channelId} that may not have been collected. */
  CompletionStage<Long> firstNeededChunk(String channelId);
}
