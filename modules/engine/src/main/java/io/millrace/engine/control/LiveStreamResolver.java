package io.millrace.engine.control;

import static io.millrace.engine.control.ControlContext.resolveAgainst;
import static io.millrace.engine.control.ControlErrors.basinDeletionPending;
import static io.millrace.engine.control.ControlErrors.basinNotFound;
import static io.millrace.engine.control.ControlErrors.guarded;
import static io.millrace.engine.control.ControlErrors.streamDeletionPending;
import static io.millrace.engine.control.ControlErrors.streamNotFound;

import io.millrace.core.Names;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.StreamConfig;
import io.millrace.engine.StreamResolver;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@link StreamResolver} of the control plane: (basin, stream name) to the live stream row,
 * read through {@link ResolvedStreams}, creating the stream on append or read when the basin's
 * {@code create_stream_on_append} / {@code create_stream_on_read} allows it.
 */
final class LiveStreamResolver implements StreamResolver {
  private final ControlContext ctx;
  private final MetadataStore metadata;

  LiveStreamResolver(ControlContext ctx) {
    this.ctx = ctx;
    this.metadata = ctx.metadata();
  }

  @Override
  public CompletionStage<StreamRecord> resolve(String basin, String stream, Access access) {
    StreamRecord cached = ctx.cache().get(basin, stream);
    if (cached != null) {
      return CompletableFuture.completedFuture(cached);
    }
    long generation = ctx.cache().generation();
    return guarded(
        () ->
            metadata
                .getBasin(basin)
                .thenCombine(metadata.getStream(basin, stream), Lookup::new)
                .thenCompose(lookup -> resolveFrom(lookup, basin, stream, access))
                .thenApply(
                    row -> {
                      ctx.cache().put(basin, stream, row, generation);
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
      return CompletableFuture.completedFuture(s);
    }
    BasinConfig cfg = Configs.canonical(b.config());
    boolean autoCreate =
        access == Access.APPEND ? cfg.createStreamOnAppend() : cfg.createStreamOnRead();
    if (!autoCreate || Names.streamNameProblem(stream) != null) {
      throw streamNotFound(basin, stream);
    }
    StreamRecord row = ctx.newStreamRow(b, stream, resolveAgainst(StreamConfig.EMPTY, b), null);
    return metadata
        .createStream(row)
        .thenApply(
            result -> {
              if (result instanceof CreateResult.Created<StreamRecord> created) {
                ctx.cache().afterWrite(basin, stream);
                StreamControl.logCreated(
                    created.row(), "auto-create on " + access.name().toLowerCase());
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
}
