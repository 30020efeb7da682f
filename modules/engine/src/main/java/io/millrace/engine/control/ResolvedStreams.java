package io.millrace.engine.control;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.metadata.StreamRecord;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The resolver's cache of live stream rows (10,000 rows, 30 s each). Every control-plane write in
 * this process calls {@link #afterWrite}, which invalidates the rows it may have changed and starts
 * a new write generation; a resolve fills the cache only if no write happened since it began, so a
 * resolve that raced with a write never caches the row as it was before.
 */
final class ResolvedStreams {
  private record StreamKey(String basin, String stream) {}

  private final Cache<StreamKey, StreamRecord> rows =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(30)).build();
  private final AtomicLong writeGeneration = new AtomicLong();

  /** The cached live row of (basin, stream), or null. */
  StreamRecord get(String basin, String stream) {
    return rows.getIfPresent(new StreamKey(basin, stream));
  }

  /** The current write generation: take it before reading the rows a resolve will cache. */
  long generation() {
    return writeGeneration.get();
  }

  /** Caches {@code row} unless a write happened since {@code generation} was taken. */
  void put(String basin, String stream, StreamRecord row, long generation) {
    if (writeGeneration.get() == generation) {
      rows.put(new StreamKey(basin, stream), row);
    }
  }

  /** Called after every write: invalidates the stream's row ({@code stream} null: every row). */
  void afterWrite(String basin, String stream) {
    writeGeneration.incrementAndGet();
    if (stream == null) {
      rows.invalidateAll();
    } else {
      rows.invalidate(new StreamKey(basin, stream));
    }
  }

  /** Forgets every row. */
  void clear() {
    rows.invalidateAll();
  }
}
