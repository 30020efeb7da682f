package io.millrace.engine.control;

import static io.millrace.engine.control.ControlContext.resolveAgainst;
import static io.millrace.engine.control.ControlErrors.guarded;
import static io.millrace.engine.control.ControlErrors.requireValid;
import static io.millrace.engine.control.ControlErrors.streamDeletionPending;
import static io.millrace.engine.control.ControlErrors.streamNotFound;
import static io.millrace.engine.control.OptimisticRetry.retrying;
import static io.millrace.engine.control.Rows.streamInfo;
import static io.millrace.engine.control.Rows.withConfig;
import static java.util.concurrent.CompletableFuture.completedFuture;

import io.millrace.core.ErrorCode;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams on the metadata port: list, create (idempotent with a request token), get config, ensure
 * (create or replace the config), reconfigure. A stream's config is stored resolved against its
 * basin's default stream config at the time of the write. Deletion is {@link StreamDeletion}'s.
 */
final class StreamControl {
  private static final Logger log = LoggerFactory.getLogger(StreamControl.class);

  private final ControlContext ctx;
  private final MetadataStore metadata;

  StreamControl(ControlContext ctx) {
    this.ctx = ctx;
    this.metadata = ctx.metadata();
  }

  CompletionStage<ListPage<StreamInfo>> list(String basin, ListRequest request) {
    return guarded(
        () -> {
          int limit = Rows.coerceLimit(request.limit());
          return ctx.basin(basin)
              .thenCompose(
                  b ->
                      metadata.listStreams(
                          basin, request.prefix(), request.startAfter(), limit + 1))
              .thenApply(rows -> Rows.page(rows, limit, Rows::streamInfo));
        });
  }

  CompletionStage<Provisioned<StreamInfo>> create(
      String basin, String stream, StreamConfig config, String requestToken) {
    return guarded(
        () -> {
          requireValid(Names.streamNameProblem(stream));
          StreamConfig partial = config == null ? StreamConfig.EMPTY : config.validate();
          String token = Rows.requestToken(requestToken);
          return ctx.liveBasin(basin)
              .thenCompose(
                  b -> {
                    StreamConfig desired = resolveAgainst(partial, b);
                    return metadata
                        .createStream(ctx.newStreamRow(b, stream, desired, token))
                        .thenApply(
                            result -> {
                              if (result instanceof CreateResult.Created<StreamRecord> created) {
                                return created(created.row(), "create");
                              }
                              StreamRecord existing =
                                  ((CreateResult.AlreadyExists<StreamRecord>) result).existing();
                              if (existing.deletedAt() != null) {
                                throw streamDeletionPending(basin, stream);
                              }
                              if (token != null
                                  && token.equals(existing.createToken())
                                  && desired.equals(existing.config())) {
                                return new Provisioned<>(
                                    streamInfo(existing), ProvisionResult.NOOP);
                              }
                              throw new S2Exception(
                                  ErrorCode.RESOURCE_ALREADY_EXISTS,
                                  "stream " + stream + " already exists in basin " + basin);
                            });
                  });
        });
  }

  CompletionStage<StreamConfig> getConfig(String basin, String stream) {
    return guarded(() -> ctx.existingStream(basin, stream).thenApply(StreamRecord::config));
  }

  CompletionStage<Provisioned<StreamInfo>> ensure(
      String basin, String stream, StreamConfig config) {
    return guarded(
        () -> {
          requireValid(Names.streamNameProblem(stream));
          StreamConfig partial = config == null ? StreamConfig.EMPTY : config.validate();
          return retrying(
              "ensure stream " + stream + " in basin " + basin,
              () ->
                  withRows(
                      basin,
                      stream,
                      (b, current) -> ensureOnce(b, stream, resolveAgainst(partial, b), current)));
        });
  }

  private CompletionStage<Optional<Provisioned<StreamInfo>>> ensureOnce(
      BasinRecord basin, String stream, StreamConfig desired, Optional<StreamRecord> current) {
    if (current.isEmpty()) {
      return metadata
          .createStream(ctx.newStreamRow(basin, stream, desired, null))
          .thenApply(
              result ->
                  result instanceof CreateResult.Created<StreamRecord> created
                      ? Optional.of(created(created.row(), "ensure"))
                      : Optional.empty());
    }
    StreamRecord existing = current.get();
    if (existing.deletedAt() != null) {
      throw streamDeletionPending(basin.name(), stream);
    }
    if (desired.equals(existing.config())) {
      return completedFuture(
          Optional.of(new Provisioned<>(streamInfo(existing), ProvisionResult.NOOP)));
    }
    StreamRecord updated = withConfig(existing, desired);
    return update(
            updated, existing, "Replaced the config of stream {} (id {}) in basin {} (ensure).")
        .thenApply(
            ok ->
                ok
                    ? Optional.of(new Provisioned<>(streamInfo(updated), ProvisionResult.UPDATED))
                    : Optional.empty());
  }

  CompletionStage<StreamConfig> reconfigure(
      String basin, String stream, StreamReconfiguration patch) {
    return guarded(
        () ->
            retrying(
                "reconfigure stream " + stream + " in basin " + basin,
                () ->
                    withRows(
                        basin,
                        stream,
                        (b, current) -> reconfigureOnce(b, stream, current, patch))));
  }

  private CompletionStage<Optional<StreamConfig>> reconfigureOnce(
      BasinRecord basin,
      String stream,
      Optional<StreamRecord> current,
      StreamReconfiguration patch) {
    StreamRecord existing = current.orElseThrow(() -> streamNotFound(basin.name(), stream));
    if (existing.deletedAt() != null) {
      throw streamDeletionPending(basin.name(), stream);
    }
    StreamConfig patched = patch.applyTo(existing.config()).validate();
    StreamConfig after = resolveAgainst(patched, basin);
    if (after.equals(existing.config())) {
      return completedFuture(Optional.of(after));
    }
    return update(
            withConfig(existing, after), existing, "Reconfigured stream {} (id {}) in basin {}.")
        .thenApply(ok -> ok ? Optional.of(after) : Optional.empty());
  }

  /** Reads the live basin row, then the stream row, and runs {@code attempt} on both. */
  private <T> CompletionStage<T> withRows(
      String basin,
      String stream,
      BiFunction<BasinRecord, Optional<StreamRecord>, CompletionStage<T>> attempt) {
    return ctx.liveBasin(basin)
        .thenCompose(b -> metadata.getStream(basin, stream).thenCompose(s -> attempt.apply(b, s)));
  }

  /** A version-checked update of a stream row; on success invalidates the cache and logs. */
  private CompletionStage<Boolean> update(
      StreamRecord updated, StreamRecord existing, String logSentence) {
    return ctx.afterWrite(
        metadata.updateStream(updated, existing.version()),
        existing.basin(),
        existing.name(),
        () -> log.info(logSentence, existing.name(), existing.streamId(), existing.basin()));
  }

  /** A stream row was created: invalidates the cache, logs it and answers {@code CREATED}. */
  private Provisioned<StreamInfo> created(StreamRecord row, String how) {
    ctx.cache().afterWrite(row.basin(), row.name());
    logCreated(row, how);
    return new Provisioned<>(streamInfo(row), ProvisionResult.CREATED);
  }

  static void logCreated(StreamRecord row, String how) {
    // DEBUG, not INFO: streams are created by the hundred thousand (auto-created on append too);
    // basins, deletions and config changes stay at INFO.
    log.debug(
        "Created stream {} (id {}) in basin {} ({}).",
        row.name(),
        row.streamId(),
        row.basin(),
        how);
  }
}
