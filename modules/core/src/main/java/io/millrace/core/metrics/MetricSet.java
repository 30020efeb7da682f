package io.millrace.core.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The metric sets of the metrics API (spec section 4.4), by the scope that serves them. Wire names
 * are the {@code set} query values. Which intervals a set accepts and the interval it uses when
 * none is given are part of the set (docs/metrics.md).
 */
public enum MetricSet {
  ACTIVE_BASINS(Scope.ACCOUNT, "active-basins", List.of(), null),
  ACCOUNT_OPS(Scope.ACCOUNT, "account-ops", TimeseriesInterval.ALL, null),
  BASIN_STORAGE(Scope.BASIN, "storage", List.of(TimeseriesInterval.HOUR), TimeseriesInterval.HOUR),
  APPEND_OPS(Scope.BASIN, "append-ops", TimeseriesInterval.ALL, null),
  READ_OPS(Scope.BASIN, "read-ops", TimeseriesInterval.ALL, null),
  READ_THROUGHPUT(Scope.BASIN, "read-throughput", TimeseriesInterval.ALL, null),
  APPEND_THROUGHPUT(Scope.BASIN, "append-throughput", TimeseriesInterval.ALL, null),
  BASIN_OPS(Scope.BASIN, "basin-ops", TimeseriesInterval.ALL, null),
  STREAM_STORAGE(
      Scope.STREAM, "storage", List.of(TimeseriesInterval.MINUTE), TimeseriesInterval.MINUTE);

  /**
   * Which endpoint serves a set: {@code /v1/metrics}, {@code /{basin}}, {@code /{basin}/{stream}}.
   */
  public enum Scope {
    ACCOUNT,
    BASIN,
    STREAM
  }

  private final Scope scope;
  private final String wireName;
  private final List<TimeseriesInterval> intervals;
  private final TimeseriesInterval fixedDefault;

  MetricSet(
      Scope scope,
      String wireName,
      List<TimeseriesInterval> intervals,
      TimeseriesInterval fixedDefault) {
    this.scope = scope;
    this.wireName = wireName;
    this.intervals = intervals;
    this.fixedDefault = fixedDefault;
  }

  public Scope scope() {
    return scope;
  }

  public String wireName() {
    return wireName;
  }

  /** The intervals the set accepts; empty for a set that is not a timeseries (a label). */
  public List<TimeseriesInterval> intervals() {
    return intervals;
  }

  /** Whether the set answers with timeseries (and so takes {@code interval}). */
  public boolean isTimeseries() {
    return !intervals.isEmpty();
  }

  /**
   * The interval used when the request names none: the only one a storage set accepts; for the
   * accumulations, minutes for ranges up to 6 hours, hours up to 7 days, days beyond.
   */
  public TimeseriesInterval defaultInterval(long rangeSeconds) {
    if (fixedDefault != null) {
      return fixedDefault;
    }
    if (rangeSeconds <= 6 * 3600) {
      return TimeseriesInterval.MINUTE;
    }
    return rangeSeconds <= 7 * 86400 ? TimeseriesInterval.HOUR : TimeseriesInterval.DAY;
  }

  /** The set of this scope with this wire name. */
  public static Optional<MetricSet> of(Scope scope, String wireName) {
    return Arrays.stream(values())
        .filter(s -> s.scope == scope && s.wireName.equals(wireName))
        .findFirst();
  }

  /** The wire names of the sets of a scope, for error messages. */
  public static List<String> names(Scope scope) {
    return Arrays.stream(values()).filter(s -> s.scope == scope).map(s -> s.wireName).toList();
  }
}
