package io.millrace.engine.control;

import static io.millrace.engine.control.ControlErrors.guarded;
import static io.millrace.engine.control.OptimisticRetry.retrying;
import static java.util.concurrent.CompletableFuture.completedFuture;

import io.millrace.engine.StreamDataEraser;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of stream deletion (architecture section 7). A deletion is a sequence of idempotent
 * steps, each re-derived from the rows, so that a crash between any two of them is repaired by the
 * next sweep:
 *
 * <ol>
 *   <li><b>Mark</b> ({@link #delete}, here): the stream row gets {@code deleted_at}
 *       (version-checked, retried on lost races; a row already marked is left as it is, so the call
 *       is idempotent). From then on the name answers 409 {@code stream_deletion_pending} to
 *       create, ensure, reconfigure and get config ({@link StreamControl}) and to the data plane's
 *       resolve ({@link LiveStreamResolver}), until step 3; listing still shows it, with its {@code
 *       deleted_at}.
 *   <li><b>Erase</b> ({@link #finishStream}, here, in the background): the stream's data is erased
 *       by stream id through the {@link StreamDataEraser} port. The data plane implements it:
 *       {@code DataPlane.erase} asks the stream's entity to erase, whose erasing behaviour ({@code
 *       StreamEntity.erasing}) writes a tombstone stream state so that the id is never activated
 *       again and answers {@code stream_not_found} to requests that still reach it; then {@code
 *       DataPlane.erase} deletes the segments (objects and rows) and the streamlets.
 *   <li><b>Remove</b> (here, in the background, after a successful erase): the stream row is
 *       removed, version-checked against the marked row. The name is free again; a stream created
 *       with it gets a new stream id.
 * </ol>
 *
 * <p>Basin deletion cascades: {@link BasinControl} marks the basin row, then {@link #finishBasin}
 * marks every stream of the basin that is not yet marked (step 1), finishes each (steps 2 and 3)
 * and removes the basin row once it has no streams left.
 *
 * <p>Steps 2 and 3 run in the background ({@link BackgroundDeletion}, started by {@link
 * #startBackground}): right after a delete made through this process, every interval, and at start
 * for deletions left pending by an earlier run. A failed step is retried at a later sweep; until it
 * succeeds the row stays marked. A stream row that is live (not marked, or re-created meanwhile) is
 * never erased, except as part of its basin's deletion.
 */
final class StreamDeletion {
  private static final Logger log = LoggerFactory.getLogger(StreamDeletion.class);
  private static final int PAGE = 1000;

  private final ControlContext ctx;
  private final MetadataStore metadata;
  private volatile BackgroundDeletion background;

  StreamDeletion(ControlContext ctx) {
    this.ctx = ctx;
    this.metadata = ctx.metadata();
  }

  /** Starts the background part (steps 2 and 3) with the data plane's {@code eraser}. */
  synchronized void startBackground(StreamDataEraser eraser, Duration interval) {
    if (background != null) {
      throw new IllegalStateException("background deletion is already running");
    }
    background = new BackgroundDeletion(metadata, this, eraser, interval);
    background.start();
  }

  /** Stops the background part; marked rows stay marked and are finished after the next start. */
  synchronized void stopBackground() {
    if (background != null) {
      background.stop();
      background = null;
    }
  }

  // ---------------------------------------------------------------- step 1

  /**
   * Marks the stream deleted (step 1) and has the background finish it soon. Fails with {@code
   * basin_not_found} or {@code stream_not_found} when there is no such row.
   */
  CompletionStage<Void> delete(String basin, String stream) {
    return guarded(
        () ->
            retrying(
                    "delete stream " + stream + " in basin " + basin,
                    () ->
                        metadata
                            .getStream(basin, stream)
                            .thenCompose(current -> markOnce(basin, stream, current)))
                .thenApply(
                    marked -> {
                      if (marked.isPresent()) {
                        ctx.cache().afterWrite(basin, stream);
                        log.info(
                            "Marked stream {} (id {}) in basin {} for deletion.",
                            stream,
                            marked.get().streamId(),
                            basin);
                      }
                      BackgroundDeletion b = background;
                      if (b != null) {
                        b.streamDeleted(basin, stream);
                      }
                      return null;
                    }));
  }

  /**
   * Marks the stream of row {@code judged} deleted (step 1) only if its row is still exactly that
   * one (same stream id and version, not marked): the delete-on-empty sweep judged that row empty,
   * and any change since (a reconfigure, a re-creation) voids the judgement. True if marked; the
   * background then finishes it as for a user delete.
   */
  CompletionStage<Boolean> deleteIfUnchanged(StreamRecord judged) {
    return metadata
        .getStream(judged.basin(), judged.name())
        .thenCompose(
            current -> {
              if (current.isEmpty() || !current.get().equals(judged)) {
                return completedFuture(false);
              }
              StreamRecord marked = Rows.markDeleted(judged, ctx.now());
              return metadata.updateStream(marked, judged.version());
            })
        .thenApply(
            marked -> {
              if (marked) {
                ctx.cache().afterWrite(judged.basin(), judged.name());
                BackgroundDeletion b = background;
                if (b != null) {
                  b.streamDeleted(judged.basin(), judged.name());
                }
              }
              return marked;
            });
  }

  /**
   * One attempt: the marked row, empty inside if it was marked already, empty if a race was lost.
   */
  private CompletionStage<Optional<Optional<StreamRecord>>> markOnce(
      String basin, String stream, Optional<StreamRecord> current) {
    if (current.isEmpty()) {
      return ctx.notFound(basin, stream);
    }
    StreamRecord existing = current.get();
    if (existing.deletedAt() != null) {
      return completedFuture(Optional.of(Optional.<StreamRecord>empty()));
    }
    StreamRecord marked = Rows.markDeleted(existing, ctx.now());
    return metadata
        .updateStream(marked, existing.version())
        .thenApply(ok -> ok ? Optional.of(Optional.of(marked)) : Optional.empty());
  }

  /** The basin was marked deleted ({@link BasinControl}): the background finishes it soon. */
  void basinMarked(String basin) {
    BackgroundDeletion b = background;
    if (b != null) {
      b.basinDeleted(basin);
    }
  }

  // ---------------------------------------------------------------- steps 2 and 3

  /**
   * Finishes one stream: erase its data, then remove its row. With {@code markFirst} (basin
   * deletion) a live stream is marked deleted first; otherwise a live row (not deleted, or
   * re-created meanwhile) is left alone.
   */
  CompletionStage<Void> finishStream(
      StreamDataEraser eraser, String basin, String stream, boolean markFirst) {
    return metadata
        .getStream(basin, stream)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                return completedFuture(null);
              }
              StreamRecord row = current.get();
              if (row.deletedAt() != null) {
                return eraseAndRemove(eraser, row);
              }
              if (!markFirst) {
                return completedFuture(null);
              }
              StreamRecord marked = Rows.markDeleted(row, ctx.now());
              return metadata
                  .updateStream(marked, row.version())
                  .thenCompose(
                      ok -> {
                        if (!ok) {
                          throw new IllegalStateException(
                              "stream "
                                  + stream
                                  + " in basin "
                                  + basin
                                  + " changed while its basin was being deleted");
                        }
                        ctx.cache().afterWrite(basin, stream);
                        log.info(
                            "Marked stream {} (id {}) of deleted basin {} for deletion.",
                            stream,
                            row.streamId(),
                            basin);
                        return eraseAndRemove(eraser, marked);
                      });
            });
  }

  private CompletionStage<Void> eraseAndRemove(StreamDataEraser eraser, StreamRecord row) {
    return eraser
        .erase(row.streamId())
        .thenCompose(v -> metadata.deleteStream(row.basin(), row.name(), row.version()))
        .thenAccept(
            removed -> {
              if (!removed) {
                throw new IllegalStateException(
                    "the row of stream "
                        + row.name()
                        + " (id "
                        + row.streamId()
                        + ") in basin "
                        + row.basin()
                        + " changed before it could be removed");
              }
              ctx.cache().afterWrite(row.basin(), row.name());
              log.info(
                  "Deleted stream {} (id {}) in basin {}: data erased and row removed.",
                  row.name(),
                  row.streamId(),
                  row.basin());
            });
  }

  /**
   * Finishes a basin marked deleted: every one of its streams (marked first if need be), then its
   * row. A basin that is gone or not marked is left alone.
   */
  CompletionStage<Void> finishBasin(StreamDataEraser eraser, String basin) {
    return metadata
        .getBasin(basin)
        .thenCompose(
            current -> {
              if (current.isEmpty() || current.get().deletedAt() == null) {
                return completedFuture(null);
              }
              BasinRecord row = current.get();
              return finishStreamsOf(eraser, basin, "")
                  .thenCompose(v -> metadata.listStreams(basin, "", "", 1))
                  .thenCompose(
                      left -> {
                        if (!left.isEmpty()) {
                          throw new IllegalStateException(
                              "basin " + basin + " still has streams (one was created meanwhile)");
                        }
                        return metadata.deleteBasin(basin, row.version());
                      })
                  .thenAccept(
                      removed -> {
                        if (!removed) {
                          throw new IllegalStateException(
                              "the row of basin " + basin + " changed before it could be removed");
                        }
                        ctx.cache().afterWrite(basin, null);
                        log.info(
                            "Deleted basin {}: its streams are gone and its row removed.", basin);
                      });
            });
  }

  private CompletionStage<Void> finishStreamsOf(
      StreamDataEraser eraser, String basin, String startAfter) {
    return metadata
        .listStreams(basin, "", startAfter, PAGE)
        .thenCompose(
            streams -> {
              CompletionStage<Void> chain = completedFuture(null);
              for (StreamRecord s : streams) {
                chain = chain.thenCompose(v -> finishStream(eraser, basin, s.name(), true));
              }
              if (streams.size() < PAGE) {
                return chain;
              }
              String last = streams.get(streams.size() - 1).name();
              return chain.thenCompose(v -> finishStreamsOf(eraser, basin, last));
            });
  }
}
