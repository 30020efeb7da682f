package io.millrace.engine.metering;

import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MeteringRecord;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage accounting (issue 9 item 6): every sample interval, walks every basin and stream and
 * writes their stored bytes as gauge rows of the {@code metering} table: per stream in the minute
 * bucket of the sweep (width 60), per basin in its hour bucket (width 3600, the latest sweep of the
 * hour wins), and an {@code active_basins} row for every basin storing anything.
 *
 * <p>A stream's stored bytes are the sum of {@code bytes} over its rows of the segment index (the
 * long-term storage), read fresh on every sweep, so segments deleted by trim, retention or stream
 * deletion drop out at the next sweep. Records not yet flushed to a segment are not counted: they
 * are in the WAL for at most the segment flush age ({@code millrace.engine.segments.flush-age}), so
 * a stored byte shows up within flush age plus one sample interval (docs/metrics.md).
 *
 * <p>In a cluster only the node for which {@code active} answers true (the cluster leader) sweeps;
 * two nodes sweeping at once during a leader change both write the truth (idempotent upserts with
 * node ""). One sweep at a time, one metadata call at a time: a sweep never bursts.
 */
public final class StorageSampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StorageSampler.class);
  private static final int PAGE = 1000;

  private final MetadataStore metadata;
  private final Clock clock;
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile boolean failing;
  private ScheduledExecutorService timer;

  public StorageSampler(MetadataStore metadata, Clock clock) {
    this.metadata = metadata;
    this.clock = clock;
  }

  /** Sweeps every {@code interval} while {@code active} answers true, until {@link #close}. */
  public synchronized void start(Duration interval, BooleanSupplier active) {
    if (timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-storage-sampler");
              t.setDaemon(true);
              return t;
            });
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(
        () -> {
          if (active.getAsBoolean()) {
            sweep();
          }
        },
        Math.min(ms, 5_000),
        ms,
        TimeUnit.MILLISECONDS);
  }

  /** One sweep over every basin and stream (skipped while one runs); completes when written. */
  public CompletionStage<Void> sweep() {
    if (!sweepingStart()) {
      return CompletableFuture.completedFuture(null);
    }
    long now = clock.millis() / 1000;
    long minute = Math.floorDiv(now, 60L) * 60;
    long hour = Math.floorDiv(now, 3600L) * 3600;
    return basins(null, minute, hour)
        .whenComplete(
            (v, t) -> {
              sweeping.set(false);
              if (t != null && !failing) {
                failing = true;
                log.warn("The storage sweep failed; the next one starts over: {}", t.toString());
              } else if (t == null && failing) {
                failing = false;
                log.info("The storage sweep succeeded again.");
              }
            });
  }

  private boolean sweepingStart() {
    return sweeping.compareAndSet(false, true);
  }

  private CompletionStage<Void> basins(String startAfter, long minute, long hour) {
    return metadata
        .listBasins("", startAfter, PAGE)
        .thenCompose(
            page -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (BasinRecord b : page) {
                chain = chain.thenCompose(x -> basin(b.name(), minute, hour));
              }
              if (page.size() < PAGE) {
                return chain;
              }
              String last = page.get(page.size() - 1).name();
              return chain.thenCompose(x -> basins(last, minute, hour));
            });
  }

  private CompletionStage<Void> basin(String basin, long minute, long hour) {
    List<MeteringRecord> rows = new ArrayList<>();
    long[] total = new long[1];
    return streams(basin, null, minute, rows, total)
        .thenCompose(
            v -> {
              rows.add(
                  new MeteringRecord(
                      basin, "", MeteringSeries.STORAGE, 3600, hour, "", "", total[0]));
              if (total[0] > 0) {
                rows.add(
                    new MeteringRecord(
                        "", "", MeteringSeries.ACTIVE_BASINS, 3600, hour, basin, "", 1));
              }
              return metadata.putMetering(rows);
            });
  }

  private CompletionStage<Void> streams(
      String basin, String startAfter, long minute, List<MeteringRecord> rows, long[] total) {
    return metadata
        .listStreams(basin, "", startAfter, PAGE)
        .thenCompose(
            page -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (StreamRecord s : page) {
                chain =
                    chain
                        .thenCompose(x -> metadata.listSegments(s.streamId()))
                        .thenAccept(
                            segs -> {
                              long bytes = storedBytes(segs);
                              total[0] += bytes;
                              rows.add(
                                  new MeteringRecord(
                                      basin,
                                      s.name(),
                                      MeteringSeries.STORAGE,
                                      60,
                                      minute,
                                      "",
                                      "",
                                      bytes));
                            });
              }
              if (page.size() < PAGE) {
                return chain;
              }
              String last = page.get(page.size() - 1).name();
              return chain.thenCompose(x -> streams(basin, last, minute, rows, total));
            });
  }

  /** A stream's stored bytes: the sum of its segment index rows' sizes. */
  static long storedBytes(List<SegmentRecord> segments) {
    long sum = 0;
    for (SegmentRecord s : segments) {
      sum += s.bytes();
    }
    return sum;
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }
}
