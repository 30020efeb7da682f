package io.millrace.engine.metering;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.StreamConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** An in-memory SQLite store with helpers to create basins, streams and segment rows. */
final class MeteringStoreFixture implements AutoCloseable {
  final MetadataStore store = SqliteMetadataStore.inMemory();

  void basin(String name) {
    await(
        store.createBasin(
            new BasinRecord(name, BasinConfig.DEFAULT, Instant.EPOCH, null, null, 1, null)));
  }

  void stream(String basin, String name, String streamId) {
    await(
        store.createStream(
            new StreamRecord(
                basin, name, streamId, StreamConfig.EMPTY, Instant.EPOCH, null, null, null, 1)));
  }

  void segment(String streamId, long first, long last, long bytes) {
    await(
        store.addSegment(
            new SegmentRecord(
                streamId, first, last, 0, 0, "segments/" + streamId + "/" + first, bytes)));
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
