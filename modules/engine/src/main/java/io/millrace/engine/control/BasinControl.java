package io.millrace.engine.control;

import static io.millrace.engine.control.ControlErrors.basinDeletionPending;
import static io.millrace.engine.control.ControlErrors.guarded;
import static io.millrace.engine.control.ControlErrors.requireValid;
import static io.millrace.engine.control.OptimisticRetry.retrying;
import static io.millrace.engine.control.Rows.basinInfo;
import static io.millrace.engine.control.Rows.withConfig;
import static java.util.concurrent.CompletableFuture.completedFuture;

import io.millrace.core.ErrorCode;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Basins on the metadata port: list, create (idempotent with a request token), get config, ensure
 * (create or replace the config), reconfigure, and mark deleted. Deleting a basin only marks its
 * row; {@link StreamDeletion} then deletes its streams and removes the row.
 */
final class BasinControl {
  private static final Logger log = LoggerFactory.getLogger(BasinControl.class);

  private final ControlContext ctx;
  private final MetadataStore metadata;
  private final StreamDeletion deletion;
  private final Locations locations;

  BasinControl(ControlContext ctx, StreamDeletion deletion, Locations locations) {
    this.ctx = ctx;
    this.metadata = ctx.metadata();
    this.deletion = deletion;
    this.locations = locations;
  }

  CompletionStage<ListPage<BasinInfo>> list(ListRequest request) {
    return guarded(
        () -> {
          int limit = Rows.coerceLimit(request.limit());
          return metadata
              .listBasins(request.prefix(), request.startAfter(), limit + 1)
              .thenApply(rows -> Rows.page(rows, limit, Rows::basinInfo));
        });
  }

  CompletionStage<Provisioned<BasinInfo>> create(
      String basin, BasinConfig config, String location, String requestToken) {
    return guarded(
        () -> {
          requireValid(Names.basinNameProblem(basin));
          BasinConfig cfg = Configs.canonical(config).validate();
          String token = Rows.requestToken(requestToken);
          return locations
              .forNewBasin(location)
              .thenCompose(
                  loc ->
                      metadata.createBasin(
                          new BasinRecord(basin, cfg, ctx.now(), null, token, 1, loc)))
              .thenApply(
                  result -> {
                    if (result instanceof CreateResult.Created<BasinRecord> created) {
                      return created(created.row(), "");
                    }
                    BasinRecord existing =
                        ((CreateResult.AlreadyExists<BasinRecord>) result).existing();
                    if (existing.deletedAt() != null) {
                      throw basinDeletionPending(basin);
                    }
                    if (token != null
                        && token.equals(existing.createToken())
                        && cfg.equals(Configs.canonical(existing.config()))
                        && (location == null || location.equals(existing.location()))) {
                      return new Provisioned<>(basinInfo(existing), ProvisionResult.NOOP);
                    }
                    throw new S2Exception(
                        ErrorCode.RESOURCE_ALREADY_EXISTS, "basin " + basin + " already exists");
                  });
        });
  }

  CompletionStage<BasinConfig> getConfig(String basin) {
    return guarded(() -> ctx.basin(basin).thenApply(row -> Configs.canonical(row.config())));
  }

  CompletionStage<Provisioned<BasinInfo>> ensure(
      String basin, BasinConfig config, String location) {
    return guarded(
        () -> {
          requireValid(Names.basinNameProblem(basin));
          BasinConfig cfg = Configs.canonical(config).validate();
          if (location != null) {
            locations.require(location);
          }
          return retrying("ensure basin " + basin, () -> ensureOnce(basin, cfg, location));
        });
  }

  private CompletionStage<Optional<Provisioned<BasinInfo>>> ensureOnce(
      String basin, BasinConfig cfg, String location) {
    return metadata
        .getBasin(basin)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                return locations
                    .forNewBasin(location)
                    .thenCompose(
                        loc ->
                            metadata.createBasin(
                                new BasinRecord(basin, cfg, ctx.now(), null, null, 1, loc)))
                    .thenApply(
                        result ->
                            result instanceof CreateResult.Created<BasinRecord> created
                                ? Optional.of(created(created.row(), " (ensure)"))
                                : Optional.empty());
              }
              BasinRecord existing = current.get();
              if (existing.deletedAt() != null) {
                throw basinDeletionPending(basin);
              }
              if (location != null
                  && existing.location() != null
                  && !location.equals(existing.location())) {
                throw S2Exception.invalid(
                    "basin "
                        + basin
                        + " is in location "
                        + existing.location()
                        + "; a basin's location is fixed at creation");
              }
              if (cfg.equals(Configs.canonical(existing.config()))) {
                return completedFuture(
                    Optional.of(new Provisioned<>(basinInfo(existing), ProvisionResult.NOOP)));
              }
              BasinRecord updated = withConfig(existing, cfg);
              return update(updated, existing, "Replaced the config of basin {} (ensure).")
                  .thenApply(
                      ok ->
                          ok
                              ? Optional.of(
                                  new Provisioned<>(basinInfo(updated), ProvisionResult.UPDATED))
                              : Optional.empty());
            });
  }

  CompletionStage<BasinConfig> reconfigure(String basin, BasinReconfiguration patch) {
    return guarded(
        () ->
            retrying(
                "reconfigure basin " + basin,
                () ->
                    ctx.liveBasin(basin)
                        .thenCompose(
                            existing -> {
                              BasinConfig before = Configs.canonical(existing.config());
                              BasinConfig after =
                                  Configs.canonical(patch.applyTo(before)).validate();
                              if (after.equals(before)) {
                                return completedFuture(Optional.of(after));
                              }
                              return update(
                                      withConfig(existing, after),
                                      existing,
                                      "Reconfigured basin {}.")
                                  .thenApply(ok -> ok ? Optional.of(after) : Optional.empty());
                            })));
  }

  /**
   * Marks the basin deleted (idempotent: an already marked basin is left as it is) and hands it to
   * {@link StreamDeletion}, which deletes its streams and then removes its row.
   */
  CompletionStage<Void> delete(String basin) {
    return guarded(
        () ->
            retrying(
                    "delete basin " + basin,
                    () ->
                        ctx.basin(basin)
                            .thenCompose(
                                existing -> {
                                  if (existing.deletedAt() != null) {
                                    return completedFuture(Optional.of(Boolean.FALSE));
                                  }
                                  return metadata
                                      .updateBasin(
                                          Rows.markDeleted(existing, ctx.now()), existing.version())
                                      .thenApply(
                                          ok -> ok ? Optional.of(Boolean.TRUE) : Optional.empty());
                                }))
                .thenApply(
                    marked -> {
                      if (marked) {
                        ctx.cache().afterWrite(null, null);
                        log.info("Marked basin {} for deletion.", basin);
                      }
                      deletion.basinMarked(basin);
                      return null;
                    }));
  }

  /** A version-checked update of a basin row; on success invalidates the cache and logs. */
  private CompletionStage<Boolean> update(
      BasinRecord updated, BasinRecord existing, String logSentence) {
    return ctx.afterWrite(
        metadata.updateBasin(updated, existing.version()),
        existing.name(),
        null,
        () -> log.info(logSentence, existing.name()));
  }

  /** A basin row was created: invalidates the cache, logs it and answers {@code CREATED}. */
  private Provisioned<BasinInfo> created(BasinRecord row, String how) {
    ctx.cache().afterWrite(null, null);
    log.info("Created basin {}{}.", row.name(), how);
    return new Provisioned<>(basinInfo(row), ProvisionResult.CREATED);
  }
}
