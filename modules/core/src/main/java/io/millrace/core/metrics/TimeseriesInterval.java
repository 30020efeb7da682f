package io.millrace.core.metrics;

import java.util.List;
import java.util.Optional;

/** The aggregation interval of a timeseries (spec section 4.4): buckets aligned to UTC. */
public enum TimeseriesInterval {
  MINUTE("minute", 60),
  HOUR("hour", 3600),
  DAY("day", 86400);

  static final List<TimeseriesInterval> ALL = List.of(MINUTE, HOUR, DAY);

  private final String wireName;
  private final long seconds;

  TimeseriesInterval(String wireName, long seconds) {
    this.wireName = wireName;
    this.seconds = seconds;
  }

  public String wireName() {
    return wireName;
  }

  public long seconds() {
    return seconds;
  }

  /** The start of the bucket holding {@code epochSecond}. */
  public long bucketOf(long epochSecond) {
    return Math.floorDiv(epochSecond, seconds) * seconds;
  }

  public static Optional<TimeseriesInterval> of(String wireName) {
    for (TimeseriesInterval i : values()) {
      if (i.wireName.equals(wireName)) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }
}
