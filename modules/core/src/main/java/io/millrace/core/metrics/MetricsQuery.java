package io.millrace.core.metrics;

import io.millrace.core.S2Exception;

/**
 * A validated metrics request: the set, the range {@code [start, end]} in Unix seconds and the
 * interval of a timeseries set (null for a label set).
 *
 * <p>Defaults and limits (docs/metrics.md): {@code end} defaults to now and {@code start} to one
 * hour before {@code end}; {@code start > end}, {@code end} more than {@link #MAX_FUTURE_SECONDS}
 * ahead of now, a range longer than {@link #MAX_RANGE_SECONDS}, an unknown set or an interval the
 * set does not accept are 422 {@code invalid}.
 */
public record MetricsQuery(MetricSet set, long start, long end, TimeseriesInterval interval) {

  /** How far in the future {@code end} may be (clock skew between client and server). */
  public static final long MAX_FUTURE_SECONDS = 60;

  /** The longest range one request may cover: 30 days. */
  public static final long MAX_RANGE_SECONDS = 30L * 86400;

  /** The range used when {@code start} is not given: one hour before {@code end}. */
  public static final long DEFAULT_RANGE_SECONDS = 3600;

  /**
   * Validates a request as the edge parsed it.
   *
   * @param setName the {@code set} value (required)
   * @param start {@code start} or null
   * @param end {@code end} or null
   * @param intervalName {@code interval} or null
   * @param nowSeconds the server's clock
   * @throws S2Exception 422 {@code invalid} naming the problem
   */
  public static MetricsQuery of(
      MetricSet.Scope scope,
      String setName,
      Long start,
      Long end,
      String intervalName,
      long nowSeconds) {
    MetricSet set =
        MetricSet.of(scope, setName)
            .orElseThrow(
                () ->
                    S2Exception.invalid(
                        "unknown metric set '"
                            + setName
                            + "'; this endpoint serves "
                            + String.join(", ", MetricSet.names(scope))));
    long e = end == null ? nowSeconds : end;
    long s = start == null ? e - DEFAULT_RANGE_SECONDS : start;
    if (s > e) {
      throw S2Exception.invalid("start (" + s + ") must not be after end (" + e + ")");
    }
    if (e > nowSeconds + MAX_FUTURE_SECONDS) {
      throw S2Exception.invalid(
          "end ("
              + e
              + ") must not be more than "
              + MAX_FUTURE_SECONDS
              + " seconds in the future (now is "
              + nowSeconds
              + ")");
    }
    if (e - s > MAX_RANGE_SECONDS) {
      throw S2Exception.invalid("the range from start to end must not exceed 30 days");
    }
    TimeseriesInterval interval = null;
    if (intervalName != null) {
      interval =
          TimeseriesInterval.of(intervalName)
              .orElseThrow(
                  () ->
                      S2Exception.invalid(
                          "unknown interval '" + intervalName + "'; use minute, hour or day"));
      if (!set.isTimeseries()) {
        throw S2Exception.invalid("metric set " + set.wireName() + " takes no interval");
      }
      if (!set.intervals().contains(interval)) {
        throw S2Exception.invalid(
            "metric set "
                + set.wireName()
                + " supports only the "
                + set.intervals().get(0).wireName()
                + " interval");
      }
    } else if (set.isTimeseries()) {
      interval = set.defaultInterval(e - s);
    }
    return new MetricsQuery(set, s, e, interval);
  }
}
