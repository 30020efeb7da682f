package io.millrace.engine.wal;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.objectstore.ObjectStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Node-wide single-flight state for activations. WAL chunk bytes are cached for a short while:
 * after a crash every stream of a dead channel reads the same chunks, and concurrent reads of one
 * chunk share one GET (a WAL key never changes once written; absent chunks are not cached). Sealing
 * a dead channel incarnation is shared too: every stream of the channel that recovers on this node
 * at the same time waits for one seal instead of listing the WAL itself.
 */
public final class WalChunkCache {
  private final ObjectStore objects;
  private final AsyncCache<String, byte[]> cache;
  private final AsyncCache<String, Long> seals;

  public WalChunkCache(ObjectStore objects, long maxBytes) {
    this.objects = objects;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, byte[]>weigher((k, v) -> v.length + k.length())
            .expireAfterAccess(Duration.ofSeconds(60))
            .buildAsync();
    this.seals =
        Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10))
            .buildAsync();
  }

  /** The chunk's bytes, or empty if absent; concurrent calls for one key share one GET. */
  public CompletionStage<Optional<byte[]>> get(String key) {
    return cache
        .get(
            key,
            (k, executor) -> objects.get(k).thenApply(o -> o.orElse(null)).toCompletableFuture())
        .thenApply(Optional::ofNullable);
  }

  /**
   * The seal chunk seq of a channel incarnation: {@code seal} runs at most once at a time per
   * channel on this node (a failed seal is forgotten, so the next caller tries again).
   */
  public CompletionStage<Long> sealOnce(String channelId, Supplier<CompletionStage<Long>> seal) {
    return seals.get(channelId, (k, executor) -> seal.get().toCompletableFuture());
  }
}
