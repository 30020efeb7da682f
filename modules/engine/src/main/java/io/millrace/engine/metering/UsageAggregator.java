package io.millrace.engine.metering;

import io.millrace.metadata.MeteringRecord;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's metering counters, in memory: one {@link LongAdder} per (basin, series, label,
 * minute). {@link #add} is what the data path calls (a hash lookup and an add, no I/O, no lock);
 * {@link #rows} turns the counters into the node's rows of the {@code metering} table, which the
 * {@link MeteringFlusher} writes.
 *
 * <p>Every row carries this aggregator's {@code node} id (one per process start) and the node's
 * absolute total for its bucket, so writing it again, or late, only ever replaces the node's own
 * earlier value: nodes never read-modify-write a shared value, and queries sum over nodes. Minute
 * rows (width 60) and hour rows (width 3600, the sum of the node's minutes of that hour) are both
 * written; {@link #forgetBefore} drops counters once their hour is written for good.
 */
public final class UsageAggregator {

  private record Key(String basin, String metric, String label, long minute) {}

  private final ConcurrentMap<Key, LongAdder> cells = new ConcurrentHashMap<>();
  private final Clock clock;
  private final String node;

  public UsageAggregator(Clock clock, String node) {
    this.clock = clock;
    this.node = node;
  }

  /** The node id written with every counter row. */
  public String node() {
    return node;
  }

  /** Adds {@code amount} to a series of {@code basin} ("" for account-level) in this minute. */
  public void add(String basin, String metric, String label, long amount) {
    if (amount <= 0) {
      return;
    }
    long minute = Math.floorDiv(clock.millis(), 60_000L) * 60;
    cells.computeIfAbsent(new Key(basin, metric, label, minute), k -> new LongAdder()).add(amount);
  }

  /**
   * The node's rows as of now: for every counter its minute row, for every (basin, series, label,
   * hour) the hour row summing the node's minutes, and for every basin with a counter in an hour
   * its {@code active_basins} row for that hour.
   */
  public List<MeteringRecord> rows() {
    List<MeteringRecord> out = new ArrayList<>();
    Map<Key, Long> hours = new HashMap<>();
    Set<Key> active = new HashSet<>();
    for (Map.Entry<Key, LongAdder> e : cells.entrySet()) {
      Key k = e.getKey();
      long v = e.getValue().sum();
      out.add(new MeteringRecord(k.basin(), "", k.metric(), 60, k.minute(), k.label(), node, v));
      long hour = Math.floorDiv(k.minute(), 3600L) * 3600;
      hours.merge(new Key(k.basin(), k.metric(), k.label(), hour), v, Long::sum);
      if (!k.basin().isEmpty()) {
        active.add(new Key("", MeteringSeries.ACTIVE_BASINS, k.basin(), hour));
      }
    }
    hours.forEach(
        (k, v) ->
            out.add(
                new MeteringRecord(
                    k.basin(), "", k.metric(), 3600, k.minute(), k.label(), node, v)));
    for (Key k : active) {
      out.add(new MeteringRecord("", "", k.metric(), 3600, k.minute(), k.label(), "", 1));
    }
    out.sort(
        Comparator.comparing(MeteringRecord::basin)
            .thenComparing(MeteringRecord::metric)
            .thenComparingLong(MeteringRecord::width)
            .thenComparingLong(MeteringRecord::bucket)
            .thenComparing(MeteringRecord::label));
    return out;
  }

  /**
   * Drops the counters of every hour that ended at or before {@code epochSecond}: call it only
   * after rows taken once that hour had ended were written.
   */
  public void forgetBefore(long epochSecond) {
    cells.keySet().removeIf(k -> Math.floorDiv(k.minute(), 3600L) * 3600 + 3600 <= epochSecond);
  }

  /** How many counters are held (for tests and the flush log). */
  public int size() {
    return cells.size();
  }
}
