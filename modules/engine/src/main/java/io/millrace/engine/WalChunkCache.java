package io.millrace.engine;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.objectstore.ObjectStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A short-lived node-wide cache of WAL chunk bytes for activations: after a crash, every stream of
 * a dead channel reads the same chunks, and concurrent reads of one chunk share one GET. Only
 * present objects are kept (a WAL key never changes once written).
 */
final class WalChunkCache {
  private final ObjectStore objects;
  private final AsyncCache<String, byte[]> cache;

  WalChunkCache(ObjectStore objects, long maxBytes) {
    this.objects = objects;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, byte[]>weigher((k, v) -> v.length + k.length())
            .expireAfterAccess(Duration.ofSeconds(60))
            .buildAsync();
  }

  CompletionStage<Optional<byte[]>> get(String key) {
    CompletableFuture<byte[]> cached = cache.getIfPresent(key);
    if (cached != null) {
      return cached.thenApply(Optional::of);
    }
    return objects
        .get(key)
        .thenApply(
            found -> {
              found.ifPresent(b -> cache.put(key, CompletableFuture.completedFuture(b)));
              return found;
            });
  }
}
