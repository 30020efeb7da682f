package io.millrace.engine.control;

import io.millrace.engine.StreamDataEraser;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes deletions that the control plane only marked ({@code deleted_at}). Each step is
 * idempotent and re-derived from the rows, so a crash between any two steps is repaired by the next
 * sweep (every start begins with a full scan):
 *
 * <ul>
 *   <li>deleted stream: erase its data by stream id, then remove its row (version-checked); the
 *       name can then be created again, with a new stream id;
 *   <li>deleted basin: mark each of its streams deleted, finish each of them as above, and remove
 *       the basin row once it has no streams left.
 * </ul>
 *
 * <p>Sweeps run one at a time on a scheduler thread that only starts asynchronous work; nothing
 * blocks. Work comes from deletes made in this process (queued) and from full scans (at start and
 * after a failed sweep).
 */
final class BackgroundDeletion {
  private static final Logger log = LoggerFactory.getLogger(BackgroundDeletion.class);
  private static final int PAGE = 1000;

  private sealed interface Pending {}

  private record BasinPending(String basin) implements Pending {}

  private record StreamPending(String basin, String stream) implements Pending {}

  private final MetadataStore metadata;
  private final StreamDataEraser eraser;
  private final Clock clock;
  private final Duration interval;
  private final BiConsumer<String, String> afterWrite;
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private volatile boolean fullScanNeeded = true;
  private volatile boolean stopped;
  private final ScheduledExecutorService scheduler;

  BackgroundDeletion(
      MetadataStore metadata,
      StreamDataEraser eraser,
      Clock clock,
      Duration interval,
      BiConsumer<String, String> afterWrite) {
    this.metadata = metadata;
    this.eraser = eraser;
    this.clock = clock;
    this.interval = interval;
    this.afterWrite = afterWrite;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-background-deletion");
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    log.info("Background deletion started; it sweeps every {} ms.", interval.toMillis());
    scheduler.scheduleWithFixedDelay(
        this::trigger, 0, Math.max(1, interval.toMillis()), TimeUnit.MILLISECONDS);
  }

  void stop() {
    stopped = true;
    scheduler.shutdownNow();
    log.info("Background deletion stopped.");
  }

  /** A stream was marked deleted in this process: finish it soon. */
  void streamDeleted(String basin, String stream) {
    pending.add(new StreamPending(basin, stream));
    nudge();
  }

  /** A basin was marked deleted in this process: finish it soon. */
  void basinDeleted(String basin) {
    pending.add(new BasinPending(basin));
    nudge();
  }

  private void nudge() {
    if (!stopped) {
      try {
        scheduler.execute(this::trigger);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopped concurrently
      }
    }
  }

  /** Starts a sweep unless one is running, in which case that one sweeps again when done. */
  private void trigger() {
    if (stopped) {
      return;
    }
    if (!running.compareAndSet(false, true)) {
      again.set(true);
      return;
    }
    again.set(false);
    CompletionStage<Void> sweep;
    try {
      sweep = sweep();
    } catch (RuntimeException e) {
      sweep = CompletableFuture.failedFuture(e);
    }
    sweep.whenComplete(
        (ok, error) -> {
          if (error != null) {
            fullScanNeeded = true;
            log.warn(
                "A background deletion sweep failed; the next sweep rescans everything: {}",
                reason(error));
          }
          running.set(false);
          if (again.get()) {
            nudge();
          }
        });
  }

  private CompletionStage<Void> sweep() {
    CompletionStage<Void> scan = CompletableFuture.completedFuture(null);
    if (fullScanNeeded) {
      fullScanNeeded = false;
      scan = scanAll();
    }
    return scan.thenCompose(v -> drain());
  }

  /** Processes every queued deletion, one after another; failed ones are queued again. */
  private CompletionStage<Void> drain() {
    List<Pending> work = new ArrayList<>(pending);
    pending.removeAll(work);
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    List<Pending> failed = new ArrayList<>();
    for (Pending p : work) {
      chain =
          chain.thenCompose(
              v ->
                  step(p)
                      .exceptionally(
                          e -> {
                            failed.add(p);
                            log.warn(
                                "Could not finish the deletion of {}; will retry: {}",
                                describe(p),
                                reason(e));
                            return null;
                          }));
    }
    return chain.thenRun(() -> pending.addAll(failed));
  }

  private CompletionStage<Void> step(Pending p) {
    if (stopped) {
      pending.add(p);
      return CompletableFuture.completedFuture(null);
    }
    if (p instanceof BasinPending b) {
      return finishBasin(b.basin());
    }
    StreamPending s = (StreamPending) p;
    return finishStream(s.basin(), s.stream(), false);
  }

  private static String describe(Pending p) {
    if (p instanceof BasinPending b) {
      return "basin " + b.basin();
    }
    StreamPending s = (StreamPending) p;
    return "stream " + s.stream() + " in basin " + s.basin();
  }

  // ---- full scan

  /** Queues every basin and stream that is marked deleted. */
  private CompletionStage<Void> scanAll() {
    return scanBasins("");
  }

  private CompletionStage<Void> scanBasins(String startAfter) {
    return metadata
        .listBasins("", startAfter, PAGE)
        .thenCompose(
            basins -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (BasinRecord b : basins) {
                if (b.deletedAt() != null) {
                  log.info("Found basin {} pending deletion.", b.name());
                  pending.add(new BasinPending(b.name()));
                } else {
                  chain = chain.thenCompose(v -> scanStreams(b.name(), ""));
                }
              }
              if (basins.size() < PAGE) {
                return chain;
              }
              String last = basins.get(basins.size() - 1).name();
              return chain.thenCompose(v -> scanBasins(last));
            });
  }

  private CompletionStage<Void> scanStreams(String basin, String startAfter) {
    return metadata
        .listStreams(basin, "", startAfter, PAGE)
        .thenCompose(
            streams -> {
              for (StreamRecord s : streams) {
                if (s.deletedAt() != null) {
                  log.info(
                      "Found stream {} (id {}) in basin {} pending deletion.",
                      s.name(),
                      s.streamId(),
                      basin);
                  pending.add(new StreamPending(basin, s.name()));
                }
              }
              if (streams.size() < PAGE) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              return scanStreams(basin, streams.get(streams.size() - 1).name());
            });
  }

  // ---- steps

  /**
   * Finishes one stream: erase its data, then remove its row. With {@code markFirst} (basin
   * deletion) a live stream is marked deleted first; otherwise a live row (not deleted, or
   * re-created meanwhile) is left alone.
   */
  private CompletionStage<Void> finishStream(String basin, String stream, boolean markFirst) {
    return metadata
        .getStream(basin, stream)
        .thenCompose(
            current -> {
              if (current.isEmpty()) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              StreamRecord row = current.get();
              if (row.deletedAt() == null) {
                if (!markFirst) {
                  return CompletableFuture.<Void>completedFuture(null);
                }
                StreamRecord marked = ControlPlane.markDeleted(row, now());
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
                          afterWrite.accept(basin, stream);
                          log.info(
                              "Marked stream {} (id {}) of deleted basin {} for deletion.",
                              stream,
                              row.streamId(),
                              basin);
                          return eraseAndRemove(marked);
                        });
              }
              return eraseAndRemove(row);
            });
  }

  private CompletionStage<Void> eraseAndRemove(StreamRecord row) {
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
              afterWrite.accept(row.basin(), row.name());
              log.info(
                  "Deleted stream {} (id {}) in basin {}: data erased and row removed.",
                  row.name(),
                  row.streamId(),
                  row.basin());
            });
  }

  private CompletionStage<Void> finishBasin(String basin) {
    return metadata
        .getBasin(basin)
        .thenCompose(
            current -> {
              if (current.isEmpty() || current.get().deletedAt() == null) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              BasinRecord row = current.get();
              return finishStreamsOf(basin, "")
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
                        afterWrite.accept(basin, null);
                        log.info(
                            "Deleted basin {}: its streams are gone and its row removed.", basin);
                      });
            });
  }

  private CompletionStage<Void> finishStreamsOf(String basin, String startAfter) {
    return metadata
        .listStreams(basin, "", startAfter, PAGE)
        .thenCompose(
            streams -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (StreamRecord s : streams) {
                chain = chain.thenCompose(v -> finishStream(basin, s.name(), true));
              }
              if (streams.size() < PAGE) {
                return chain;
              }
              String last = streams.get(streams.size() - 1).name();
              return chain.thenCompose(v -> finishStreamsOf(basin, last));
            });
  }

  /** The innermost message of a failure, for a log sentence. */
  private static String reason(Throwable error) {
    Throwable cur = error;
    while (cur.getCause() != null
        && (cur instanceof java.util.concurrent.CompletionException
            || cur instanceof java.util.concurrent.ExecutionException)) {
      cur = cur.getCause();
    }
    return cur.getMessage() == null ? cur.toString() : cur.getMessage();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
