package io.millrace.engine.metering;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MeteringRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes this node's metering counters ({@link UsageAggregator}) to the {@code metering} table
 * every flush interval, once more when the node stops, and deletes rows older than {@link
 * #RETENTION} about once an hour. A failed flush keeps the counters and is repeated by the next
 * one; a crash loses at most the counts since the last successful flush (docs/metrics.md).
 */
public final class MeteringFlusher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeteringFlusher.class);

  /** How long metering rows are kept: the 30-day query window plus two days. */
  public static final Duration RETENTION = Duration.ofDays(32);

  /**
   * Counters of an hour that ended this long before a flush started are dropped after it: a counter
   * increment picks its minute before it adds, and this is far longer than that gap.
   */
  static final long GRACE_SECONDS = 5;

  private final UsageAggregator aggregator;
  private final MetadataStore metadata;
  private final Clock clock;
  private final AtomicBoolean flushing = new AtomicBoolean();
  private volatile boolean failing;
  private volatile long lastExpiry = Long.MIN_VALUE / 2;
  private ScheduledExecutorService timer;

  public MeteringFlusher(UsageAggregator aggregator, MetadataStore metadata, Clock clock) {
    this.aggregator = aggregator;
    this.metadata = metadata;
    this.clock = clock;
  }

  /** Flushes every {@code interval} on a daemon thread of its own until {@link #close}. */
  public synchronized void start(Duration interval) {
    if (timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-metering-flush");
              t.setDaemon(true);
              return t;
            });
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Writes the counters once (skipped while an earlier flush is still running); completes when
   * written, or with the failure (logged once while failures last).
   */
  public CompletionStage<Void> flush() {
    if (!flushing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    long startedAt = clock.millis() / 1000;
    List<MeteringRecord> rows;
    CompletionStage<Void> write;
    try {
      rows = aggregator.rows();
      write = rows.isEmpty() ? CompletableFuture.completedFuture(null) : metadata.putMetering(rows);
    } catch (RuntimeException e) {
      flushing.set(false);
      return CompletableFuture.failedFuture(e);
    }
    return write
        .thenCompose(
            v -> {
              aggregator.forgetBefore(startedAt - GRACE_SECONDS);
              if (failing) {
                failing = false;
                log.info("Metering rows are written again ({} rows).", rows.size());
              }
              if (startedAt - lastExpiry >= 3600) {
                lastExpiry = startedAt;
                return metadata.deleteMeteringBefore(startedAt - RETENTION.toSeconds());
              }
              return CompletableFuture.completedFuture(null);
            })
        .whenComplete(
            (v, t) -> {
              flushing.set(false);
              if (t != null && !failing) {
                failing = true;
                log.warn(
                    "Writing {} metering rows failed; the counters are kept and written by the"
                        + " next flush: {}",
                    rows.size(),
                    t.toString());
              }
            });
  }

  /** Stops the timer and writes the counters one last time (waits at most {@code timeout}). */
  public void stop(Duration timeout) {
    close();
    try {
      flush().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("The last metering flush at stop failed; its counts are lost: {}", e.toString());
    }
  }

  /** Stops the timer (no last flush). */
  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }
}
