package io.millrace.core.metrics;

import java.util.List;

/** One metric of a metric set response (spec section 4.4). */
public sealed interface Metric {

  /** One point of a timeseries: the bucket start (Unix seconds) and its value. */
  record Point(long timestamp, double value) {}

  record Scalar(String name, MetricUnit unit, double value) implements Metric {}

  /** Values summed over each interval bucket; only buckets with data are listed. */
  record Accumulation(String name, MetricUnit unit, TimeseriesInterval interval, List<Point> values)
      implements Metric {
    public Accumulation {
      values = List.copyOf(values);
    }
  }

  /** Sampled values, one per bucket in which a sample was taken. */
  record Gauge(String name, MetricUnit unit, List<Point> values) implements Metric {
    public Gauge {
      values = List.copyOf(values);
    }
  }

  record Label(String name, List<String> values) implements Metric {
    public Label {
      values = List.copyOf(values);
    }
  }
}
