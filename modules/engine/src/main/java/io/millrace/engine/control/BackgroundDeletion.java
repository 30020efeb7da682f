package io.millrace.engine.control;

import io.millrace.core.Failures;
import io.millrace.engine.StreamDataEraser;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Duration;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background part of {@link StreamDeletion}: it finishes, with the data plane's eraser, the
 * deletions that were only marked ({@code deleted_at}) — streams (erase, then remove the row) and
 * basins (each of their streams, then the basin row). The steps are {@link StreamDeletion}'s; this
 * class decides when they run and retries them.
 *
 * <p>Sweeps run one at a time on a scheduler thread that only starts asynchronous work; nothing
 * blocks. Work comes from deletes made in this process (queued) and from full scans of the rows
 * marked deleted (at start, so that deletions left pending by an earlier run are finished, and
 * after a failed sweep). A deletion whose step failed is queued again for the next sweep; a sweep
 * runs every {@code interval}.
 */
final class BackgroundDeletion {
  private static final Logger log = LoggerFactory.getLogger(BackgroundDeletion.class);
  private static final int PAGE = 1000;

  private sealed interface Pending {}

  private record BasinPending(String basin) implements Pending {}

  private record StreamPending(String basin, String stream) implements Pending {}

  private final MetadataStore metadata;
  private final StreamDeletion deletion;
  private final StreamDataEraser eraser;
  private final Duration interval;
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private volatile boolean fullScanNeeded = true;
  private volatile boolean stopped;
  private final ScheduledExecutorService scheduler;

  BackgroundDeletion(
      MetadataStore metadata, StreamDeletion deletion, StreamDataEraser eraser, Duration interval) {
    this.metadata = metadata;
    this.deletion = deletion;
    this.eraser = eraser;
    this.interval = interval;
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
      return deletion.finishBasin(eraser, b.basin());
    }
    StreamPending s = (StreamPending) p;
    return deletion.finishStream(eraser, s.basin(), s.stream(), false);
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

  /** The innermost message of a failure, for a log sentence. */
  private static String reason(Throwable error) {
    Throwable cur = Failures.unwrap(error);
    return cur.getMessage() == null ? cur.toString() : cur.getMessage();
  }
}
