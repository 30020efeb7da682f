package io.millrace.engine.control;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.engine.StreamDataEraser;
import io.millrace.engine.StreamResolver;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane (spec section 4): basins and streams on the {@link MetadataStore} port, and the
 * {@link StreamResolver} the data plane uses to turn (basin, stream name) into the live stream row,
 * creating streams on append or read when the basin allows it.
 *
 * <p>Every operation is asynchronous and never blocks. Updates are conditional on the row's
 * version; losing a race retries a few times with fresh rows and then fails with 409 {@code
 * transaction_conflict} (which clients retry). Deletion only marks rows ({@code deleted_at}); the
 * background deletion started by {@link #startBackgroundDeletion} erases the data and then removes
 * the rows, after which a name can be created again (with a new stream id).
 *
 * <p>{@link #resolve} keeps a small cache of live stream rows. Every control-plane write in this
 * process invalidates it, and a resolve that raced with a write does not fill it.
 */
public final class ControlPlane implements BasinService, StreamService, StreamResolver {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  /** Attempts of a version-checked update before answering {@code transaction_conflict}. */
  static final int MAX_ATTEMPTS = 8;

  private final MetadataStore metadata;
  private final Clock clock;
  private final Cache<StreamKey, StreamRecord> resolved;
  private final AtomicLong writeGeneration = new AtomicLong();
  private volatile BackgroundDeletion deletion;

  public ControlPlane(MetadataStore metadata, Clock clock) {
    this.metadata = metadata;
    this.clock = clock;
    this.resolved =
        Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(30)).build();
  }

  /**
   * Starts erasing deleted streams and basins: at once (picking up deletions left pending by an
   * earlier run), after every delete made through this control plane, and every {@code interval}.
   */
  public synchronized void startBackgroundDeletion(StreamDataEraser eraser, Duration interval) {
    if (deletion != null) {
      throw new IllegalStateException("background deletion is already running");
    }
    deletion = new BackgroundDeletion(metadata, eraser, clock, interval, this::afterWrite);
    deletion.start();
  }

  /** Stops background deletion; the metadata store stays open (its owner closes it). */
  public synchronized void close() {
    if (deletion != null) {
      deletion.stop();
      deletion = null;
    }
    resolved.invalidateAll();
  }

  // ---------------------------------------------------------------- basins

  @Override
  public CompletionStage<ListPage<BasinInfo>> listBasins(ListRequest request) {
    return guarded(
        () -> {
          int limit = coerceLimit(request.limit());
          return metadata
              .listBasins(request.prefix(), request.startAfter(), limit + 1)
              .thenApply(rows -> page(rows, limit, ControlPlane::basinInfo));
        });
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String requestToken) {
    return guarded(
        () -> {
          requireValid(Names.basinNameProblem(basin));
          BasinConfig cfg = Configs.canonical(config).validate();
          String token = blankToNull(requestToken);
          BasinRecord row = new BasinRecord(basin, cfg, now(), null, token, 1);
          return metadata
              .createBasin(row)
              .thenApply(
                  result -> {
                    if (result instanceof CreateResult.Created<BasinRecord> created) {
                      afterWrite(null, null);
                      log.info("Created basin {}.", basin);
                      return new Provisioned<>(basinInfo(created.row()), ProvisionResult.CREATED);
                    }
                    BasinRecord existing =
                        ((CreateResult.AlreadyExists<BasinRecord>) result).existing();
                    if (existing.deletedAt() != null) {
                      throw basinDeletionPending(basin);
                    }
                    if (token != null
                        && token.equals(existing.createToken())
                        && cfg.equals(Configs.canonical(existing.config()))) {
                      return new Provisioned<>(basinInfo(existing), ProvisionResult.NOOP);
                    }
                    throw new S2Exception(
                        ErrorCode.RESOURCE_ALREADY_EXISTS, "basin " + basin + " already exists");
                  });
        });
  }

  @Override
  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    return guarded(
        () ->
            metadata
                .getBasin(basin)
                .thenApply(
                    row ->
                        Configs.canonical(row.orElseThrow(() -> basinNotFound(basin)).config())));
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> ensureBasin(String basin, BasinConfig config) {
    return guarded(
        () -> {
          requireValid(Names.basinNameProblem(basin));
          BasinConfig cfg = Configs.canonical(config).validate();
          return retrying("ensure basin " + basin, () -> ensureBasinOnce(basin, cfg));
        });
  }

  private CompletionStage<Optional<Provisioned<BasinInfo>>> ensureBasinOnce(
      String basin, BasinConfig cfg) {
    return metadata
        .getBasin(basin)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                BasinRecord row = new BasinRecord(basin, cfg, now(), null, null, 1);
                return metadata
                    .createBasin(row)
                    .thenApply(
                        result -> {
                          if (result instanceof CreateResult.Created<BasinRecord> created) {
                            afterWrite(null, null);
                            log.info("Created basin {} (ensure).", basin);
                            return Optional.of(
                                new Provisioned<>(
                                    basinInfo(created.row()), ProvisionResult.CREATED));
                          }
                          return Optional.empty();
                        });
              }
              BasinRecord existing = current.get();
              if (existing.deletedAt() != null) {
                throw basinDeletionPending(basin);
              }
              if (cfg.equals(Configs.canonical(existing.config()))) {
                return done(
                    Optional.of(new Provisioned<>(basinInfo(existing), ProvisionResult.NOOP)));
              }
              BasinRecord updated = withConfig(existing, cfg);
              return metadata
                  .updateBasin(updated, existing.version())
                  .thenApply(
                      ok -> {
                        if (!ok) {
                          return Optional.empty();
                        }
                        afterWrite(null, null);
                        log.info("Replaced the config of basin {} (ensure).", basin);
                        return Optional.of(
                            new Provisioned<>(basinInfo(updated), ProvisionResult.UPDATED));
                      });
            });
  }

  @Override
  public CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch) {
    return guarded(
        () ->
            retrying(
                "reconfigure basin " + basin,
                () ->
                    metadata
                        .getBasin(basin)
                        .thenCompose(
                            current -> {
                              BasinRecord existing =
                                  current.orElseThrow(() -> basinNotFound(basin));
                              if (existing.deletedAt() != null) {
                                throw basinDeletionPending(basin);
                              }
                              BasinConfig before = Configs.canonical(existing.config());
                              BasinConfig after =
                                  Configs.canonical(patch.applyTo(before)).validate();
                              if (after.equals(before)) {
                                return done(Optional.of(after));
                              }
                              return metadata
                                  .updateBasin(withConfig(existing, after), existing.version())
                                  .thenApply(
                                      ok -> {
                                        if (!ok) {
                                          return Optional.<BasinConfig>empty();
                                        }
                                        afterWrite(null, null);
                                        log.info("Reconfigured basin {}.", basin);
                                        return Optional.of(after);
                                      });
                            })));
  }

  @Override
  public CompletionStage<Void> deleteBasin(String basin) {
    return guarded(
        () ->
            retrying(
                    "delete basin " + basin,
                    () ->
                        metadata
                            .getBasin(basin)
                            .thenCompose(
                                current -> {
                                  BasinRecord existing =
                                      current.orElseThrow(() -> basinNotFound(basin));
                                  if (existing.deletedAt() != null) {
                                    return done(Optional.of(Boolean.FALSE));
                                  }
                                  BasinRecord marked =
                                      new BasinRecord(
                                          existing.name(),
                                          existing.config(),
                                          existing.createdAt(),
                                          now(),
                                          existing.createToken(),
                                          existing.version() + 1);
                                  return metadata
                                      .updateBasin(marked, existing.version())
                                      .thenApply(
                                          ok -> ok ? Optional.of(Boolean.TRUE) : Optional.empty());
                                }))
                .thenApply(
                    marked -> {
                      if (marked) {
                        afterWrite(null, null);
                        log.info("Marked basin {} for deletion.", basin);
                      }
                      BackgroundDeletion d = deletion;
                      if (d != null) {
                        d.basinDeleted(basin);
                      }
                      return null;
                    }));
  }

  // ---------------------------------------------------------------- streams

  @Override
  public CompletionStage<ListPage<StreamInfo>> listStreams(String basin, ListRequest request) {
    return guarded(
        () -> {
          int limit = coerceLimit(request.limit());
          return metadata
              .getBasin(basin)
              .thenCompose(
                  b -> {
                    if (b.isEmpty()) {
                      throw basinNotFound(basin);
                    }
                    return metadata.listStreams(
                        basin, request.prefix(), request.startAfter(), limit + 1);
                  })
              .thenApply(rows -> page(rows, limit, ControlPlane::streamInfo));
        });
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> createStream(
      String basin, String stream, StreamConfig config, String requestToken) {
    return guarded(
        () -> {
          requireValid(Names.streamNameProblem(stream));
          StreamConfig partial = config == null ? StreamConfig.EMPTY : config.validate();
          String token = blankToNull(requestToken);
          return liveBasin(basin)
              .thenCompose(
                  b -> {
                    StreamConfig desired = resolveAgainst(partial, b);
                    StreamRecord row = newStreamRow(b, stream, desired, token);
                    return metadata
                        .createStream(row)
                        .thenApply(
                            result -> {
                              if (result instanceof CreateResult.Created<StreamRecord> created) {
                                afterWrite(basin, stream);
                                logCreated(created.row(), "create");
                                return new Provisioned<>(
                                    streamInfo(created.row()), ProvisionResult.CREATED);
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

  @Override
  public CompletionStage<StreamConfig> getStreamConfig(String basin, String stream) {
    return guarded(() -> existingStream(basin, stream).thenApply(StreamRecord::config));
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> ensureStream(
      String basin, String stream, StreamConfig config) {
    return guarded(
        () -> {
          requireValid(Names.streamNameProblem(stream));
          StreamConfig partial = config == null ? StreamConfig.EMPTY : config.validate();
          return retrying(
              "ensure stream " + stream + " in basin " + basin,
              () ->
                  liveBasin(basin)
                      .thenCompose(
                          b ->
                              metadata
                                  .getStream(basin, stream)
                                  .thenCompose(
                                      current ->
                                          ensureStreamOnce(
                                              b, stream, resolveAgainst(partial, b), current))));
        });
  }

  private CompletionStage<Optional<Provisioned<StreamInfo>>> ensureStreamOnce(
      BasinRecord basin, String stream, StreamConfig desired, Optional<StreamRecord> current) {
    String b = basin.name();
    if (current.isEmpty()) {
      return metadata
          .createStream(newStreamRow(basin, stream, desired, null))
          .thenApply(
              result -> {
                if (result instanceof CreateResult.Created<StreamRecord> created) {
                  afterWrite(b, stream);
                  logCreated(created.row(), "ensure");
                  return Optional.of(
                      new Provisioned<>(streamInfo(created.row()), ProvisionResult.CREATED));
                }
                return Optional.empty();
              });
    }
    StreamRecord existing = current.get();
    if (existing.deletedAt() != null) {
      throw streamDeletionPending(b, stream);
    }
    if (desired.equals(existing.config())) {
      return done(Optional.of(new Provisioned<>(streamInfo(existing), ProvisionResult.NOOP)));
    }
    StreamRecord updated = withConfig(existing, desired);
    return metadata
        .updateStream(updated, existing.version())
        .thenApply(
            ok -> {
              if (!ok) {
                return Optional.empty();
              }
              afterWrite(b, stream);
              log.info(
                  "Replaced the config of stream {} (id {}) in basin {} (ensure).",
                  stream,
                  existing.streamId(),
                  b);
              return Optional.of(new Provisioned<>(streamInfo(updated), ProvisionResult.UPDATED));
            });
  }

  @Override
  public CompletionStage<StreamConfig> reconfigureStream(
      String basin, String stream, StreamReconfiguration patch) {
    return guarded(
        () ->
            retrying(
                "reconfigure stream " + stream + " in basin " + basin,
                () ->
                    liveBasin(basin)
                        .thenCompose(
                            b ->
                                metadata
                                    .getStream(basin, stream)
                                    .thenCompose(
                                        current -> {
                                          StreamRecord existing =
                                              current.orElseThrow(
                                                  () -> streamNotFound(basin, stream));
                                          if (existing.deletedAt() != null) {
                                            throw streamDeletionPending(basin, stream);
                                          }
                                          StreamConfig patched =
                                              patch.applyTo(existing.config()).validate();
                                          StreamConfig after = resolveAgainst(patched, b);
                                          if (after.equals(existing.config())) {
                                            return done(Optional.of(after));
                                          }
                                          return metadata
                                              .updateStream(
                                                  withConfig(existing, after), existing.version())
                                              .thenApply(
                                                  ok -> {
                                                    if (!ok) {
                                                      return Optional.<StreamConfig>empty();
                                                    }
                                                    afterWrite(basin, stream);
                                                    log.info(
                                                        "Reconfigured stream {} (id {}) in basin {}.",
                                                        stream,
                                                        existing.streamId(),
                                                        basin);
                                                    return Optional.of(after);
                                                  });
                                        }))));
  }

  @Override
  public CompletionStage<Void> deleteStream(String basin, String stream) {
    return guarded(
        () ->
            retrying(
                    "delete stream " + stream + " in basin " + basin,
                    () ->
                        metadata
                            .getStream(basin, stream)
                            .thenCompose(
                                current -> {
                                  if (current.isEmpty()) {
                                    return notFound(basin, stream);
                                  }
                                  StreamRecord existing = current.get();
                                  if (existing.deletedAt() != null) {
                                    return done(Optional.of(Optional.<StreamRecord>empty()));
                                  }
                                  StreamRecord marked = markDeleted(existing, now());
                                  return metadata
                                      .updateStream(marked, existing.version())
                                      .thenApply(
                                          ok ->
                                              ok
                                                  ? Optional.of(Optional.of(marked))
                                                  : Optional.empty());
                                }))
                .thenApply(
                    marked -> {
                      if (marked.isPresent()) {
                        afterWrite(basin, stream);
                        log.info(
                            "Marked stream {} (id {}) in basin {} for deletion.",
                            stream,
                            marked.get().streamId(),
                            basin);
                      }
                      BackgroundDeletion d = deletion;
                      if (d != null) {
                        d.streamDeleted(basin, stream);
                      }
                      return null;
                    }));
  }

  // ---------------------------------------------------------------- resolver

  @Override
  public CompletionStage<StreamRecord> resolve(String basin, String stream, Access access) {
    StreamKey key = new StreamKey(basin, stream);
    StreamRecord cached = resolved.getIfPresent(key);
    if (cached != null) {
      return CompletableFuture.completedFuture(cached);
    }
    long generation = writeGeneration.get();
    return guarded(
        () ->
            metadata
                .getBasin(basin)
                .thenCombine(metadata.getStream(basin, stream), Lookup::new)
                .thenCompose(lookup -> resolveFrom(lookup, basin, stream, access))
                .thenApply(
                    row -> {
                      if (writeGeneration.get() == generation) {
                        resolved.put(key, row);
                      }
                      return row;
                    }));
  }

  private record Lookup(Optional<BasinRecord> basin, Optional<StreamRecord> stream) {}

  private CompletionStage<StreamRecord> resolveFrom(
      Lookup lookup, String basin, String stream, Access access) {
    BasinRecord b = lookup.basin().orElseThrow(() -> basinNotFound(basin));
    if (b.deletedAt() != null) {
      throw basinDeletionPending(basin);
    }
    if (lookup.stream().isPresent()) {
      StreamRecord s = lookup.stream().get();
      if (s.deletedAt() != null) {
        throw streamDeletionPending(basin, stream);
      }
      return done(s);
    }
    BasinConfig cfg = Configs.canonical(b.config());
    boolean autoCreate =
        access == Access.APPEND ? cfg.createStreamOnAppend() : cfg.createStreamOnRead();
    if (!autoCreate || Names.streamNameProblem(stream) != null) {
      throw streamNotFound(basin, stream);
    }
    StreamRecord row = newStreamRow(b, stream, resolveAgainst(StreamConfig.EMPTY, b), null);
    return metadata
        .createStream(row)
        .thenApply(
            result -> {
              if (result instanceof CreateResult.Created<StreamRecord> created) {
                afterWrite(basin, stream);
                logCreated(created.row(), "auto-create on " + access.name().toLowerCase());
                return created.row();
              }
              StreamRecord existing =
                  ((CreateResult.AlreadyExists<StreamRecord>) result).existing();
              if (existing.deletedAt() != null) {
                throw streamDeletionPending(basin, stream);
              }
              return existing;
            });
  }

  // ---------------------------------------------------------------- helpers

  /** Called after every write: invalidates resolver cache entries (null stream = all). */
  private void afterWrite(String basin, String stream) {
    writeGeneration.incrementAndGet();
    if (stream == null) {
      resolved.invalidateAll();
    } else {
      resolved.invalidate(new StreamKey(basin, stream));
    }
  }

  private record StreamKey(String basin, String stream) {}

  private CompletionStage<BasinRecord> liveBasin(String basin) {
    return metadata
        .getBasin(basin)
        .thenApply(
            b -> {
              BasinRecord row = b.orElseThrow(() -> basinNotFound(basin));
              if (row.deletedAt() != null) {
                throw basinDeletionPending(basin);
              }
              return row;
            });
  }

  /** The stream row if it exists and is not being deleted; fails with the matching S2 error. */
  private CompletionStage<StreamRecord> existingStream(String basin, String stream) {
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
              return done(current.get());
            });
  }

  /** Fails with basin_not_found when the basin is missing too, else with stream_not_found. */
  private <T> CompletionStage<T> notFound(String basin, String stream) {
    return metadata
        .getBasin(basin)
        .thenApply(
            b -> {
              if (b.isEmpty()) {
                throw basinNotFound(basin);
              }
              throw streamNotFound(basin, stream);
            });
  }

  private static StreamConfig resolveAgainst(StreamConfig partial, BasinRecord basin) {
    BasinConfig cfg = basin.config();
    return partial.resolve(cfg == null ? null : cfg.defaultStreamConfig());
  }

  private StreamRecord newStreamRow(
      BasinRecord basin, String stream, StreamConfig config, String token) {
    String cipher = basin.config() == null ? null : basin.config().streamCipher();
    return new StreamRecord(
        basin.name(), stream, UUID.randomUUID().toString(), config, now(), null, token, cipher, 1);
  }

  private static void logCreated(StreamRecord row, String how) {
    log.info(
        "Created stream {} (id {}) in basin {} ({}).",
        row.name(),
        row.streamId(),
        row.basin(),
        how);
  }

  static StreamRecord markDeleted(StreamRecord s, Instant at) {
    return new StreamRecord(
        s.basin(),
        s.name(),
        s.streamId(),
        s.config(),
        s.createdAt(),
        at,
        s.createToken(),
        s.cipher(),
        s.version() + 1);
  }

  private static StreamRecord withConfig(StreamRecord s, StreamConfig config) {
    return new StreamRecord(
        s.basin(),
        s.name(),
        s.streamId(),
        config,
        s.createdAt(),
        s.deletedAt(),
        s.createToken(),
        s.cipher(),
        s.version() + 1);
  }

  private static BasinRecord withConfig(BasinRecord b, BasinConfig config) {
    return new BasinRecord(
        b.name(), config, b.createdAt(), b.deletedAt(), b.createToken(), b.version() + 1);
  }

  static BasinInfo basinInfo(BasinRecord row) {
    return new BasinInfo(row.name(), null, row.createdAt(), row.deletedAt());
  }

  static StreamInfo streamInfo(StreamRecord row) {
    return new StreamInfo(row.name(), row.createdAt(), row.deletedAt(), row.cipher());
  }

  /** List limit as s2-lite treats it: 0 (or less) and more than 1000 mean 1000. */
  static int coerceLimit(int limit) {
    return limit <= 0 || limit > Limits.MAX_LIST_LIMIT ? Limits.MAX_LIST_LIMIT : limit;
  }

  private static <R, T> ListPage<T> page(List<R> rows, int limit, Function<R, T> map) {
    boolean hasMore = rows.size() > limit;
    List<R> shown = hasMore ? rows.subList(0, limit) : rows;
    return new ListPage<>(shown.stream().map(map).toList(), hasMore);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static void requireValid(String problem) {
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
  }

  private static S2Exception basinNotFound(String basin) {
    return new S2Exception(ErrorCode.BASIN_NOT_FOUND, "basin " + basin + " does not exist");
  }

  private static S2Exception basinDeletionPending(String basin) {
    return new S2Exception(
        ErrorCode.BASIN_DELETION_PENDING, "basin " + basin + " is being deleted");
  }

  private static S2Exception streamNotFound(String basin, String stream) {
    return new S2Exception(
        ErrorCode.STREAM_NOT_FOUND, "stream " + stream + " does not exist in basin " + basin);
  }

  private static S2Exception streamDeletionPending(String basin, String stream) {
    return new S2Exception(
        ErrorCode.STREAM_DELETION_PENDING,
        "stream " + stream + " in basin " + basin + " is being deleted");
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  /**
   * Runs one attempt after another while they lose version races (complete with empty), up to
   * {@link #MAX_ATTEMPTS}; then fails with {@code transaction_conflict}.
   */
  private <T> CompletionStage<T> retrying(
      String what, Supplier<CompletionStage<Optional<T>>> attempt) {
    return retrying(what, attempt, 1);
  }

  private <T> CompletionStage<T> retrying(
      String what, Supplier<CompletionStage<Optional<T>>> attempt, int attemptNo) {
    return attempt
        .get()
        .thenCompose(
            result -> {
              if (result.isPresent()) {
                return done(result.get());
              }
              if (attemptNo >= MAX_ATTEMPTS) {
                log.warn("Gave up on {} after losing {} concurrent updates.", what, attemptNo);
                return CompletableFuture.failedFuture(
                    new S2Exception(
                        ErrorCode.TRANSACTION_CONFLICT,
                        "could not " + what + ": it kept changing concurrently; retry"));
              }
              return retrying(what, attempt, attemptNo + 1);
            });
  }

  /** Runs {@code body}, turning synchronous throws and store failures into S2 failures. */
  static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
          } else {
            result.completeExceptionally(toS2(error));
          }
        });
    return result;
  }

  static S2Exception toS2(Throwable error) {
    Throwable cur = error;
    while ((cur instanceof CompletionException || cur instanceof ExecutionException)
        && cur.getCause() != null) {
      cur = cur.getCause();
    }
    if (cur instanceof MetadataStoreException) {
      return new S2Exception(
          ErrorCode.STORAGE, "the metadata store failed: " + cur.getMessage(), cur);
    }
    return S2Exception.from(cur);
  }
}
