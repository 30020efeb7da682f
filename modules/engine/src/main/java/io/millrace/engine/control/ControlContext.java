package io.millrace.engine.control;

import static io.millrace.engine.control.ControlErrors.basinDeletionPending;
import static io.millrace.engine.control.ControlErrors.basinNotFound;
import static io.millrace.engine.control.ControlErrors.streamDeletionPending;
import static io.millrace.engine.control.ControlErrors.streamNotFound;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.StreamCipher;
import io.millrace.core.config.StreamConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the pieces of the control plane share: the metadata port, the clock, the resolver's cache
 * (which every write invalidates), and the lookups that turn a missing or deleted row into the
 * matching S2 error.
 */
record ControlContext(MetadataStore metadata, Clock clock, ResolvedStreams cache) {

  /** Now, to the millisecond (as rows store it). */
  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** The basin row, being deleted or not; fails with {@code basin_not_found} if there is none. */
  CompletionStage<BasinRecord> basin(String basin) {
    return metadata.getBasin(basin).thenApply(b -> b.orElseThrow(() -> basinNotFound(basin)));
  }

  /** The basin row if it exists and is not being deleted; fails with the matching S2 error. */
  CompletionStage<BasinRecord> liveBasin(String basin) {
    return basin(basin)
        .thenApply(
            row -> {
              if (row.deletedAt() != null) {
                throw basinDeletionPending(basin);
              }
              return row;
            });
  }

  /** The stream row if it exists and is not being deleted; fails with the matching S2 error. */
  CompletionStage<StreamRecord> existingStream(String basin, String stream) {
    return metadata
        .getStream(basin, stream)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                return notFound(basin, stream);
              }
              if (current.get().deletedAt() != null) {
                throw streamDeletionPending(basin, stream);
              }
              return CompletableFuture.completedFuture(current.get());
            });
  }

  /** Fails with basin_not_found when the basin is missing too, else with stream_not_found. */
  <T> CompletionStage<T> notFound(String basin, String stream) {
    return basin(basin)
        .thenApply(
            b -> {
              throw streamNotFound(basin, stream);
            });
  }

  /**
   * Finishes a version-checked write of a row of basin {@code basin}: when it applied, invalidates
   * the resolver cache for {@code stream} (null: every stream) and runs {@code onApplied} (which
   * logs it). Completes with whether it applied.
   */
  CompletionStage<Boolean> afterWrite(
      CompletionStage<Boolean> write, String basin, String stream, Runnable onApplied) {
    return write.thenApply(
        applied -> {
          if (applied) {
            cache.afterWrite(basin, stream);
            onApplied.run();
          }
          return applied;
        });
  }

  /**
   * A new stream row (version 1, new stream id) in {@code basin}, sealed with the basin's cipher.
   *
   * @throws io.millrace.core.S2Exception {@code invalid} when the basin's stored config names a
   *     cipher this server does not apply (a basin configured before it was refused): the stream is
   *     not created rather than stored in the clear
   */
  StreamRecord newStreamRow(BasinRecord basin, String stream, StreamConfig config, String token) {
    StreamCipher c =
        StreamCipher.requireSupported(
            basin.config() == null ? null : basin.config().streamCipher());
    String cipher = c == null ? null : c.storedName();
    return new StreamRecord(
        basin.name(), stream, UUID.randomUUID().toString(), config, now(), null, token, cipher, 1);
  }

  /** A partial stream config completed with the basin's default stream config. */
  static StreamConfig resolveAgainst(StreamConfig partial, BasinRecord basin) {
    BasinConfig cfg = basin.config();
    return partial.resolve(cfg == null ? null : cfg.defaultStreamConfig());
  }
}
