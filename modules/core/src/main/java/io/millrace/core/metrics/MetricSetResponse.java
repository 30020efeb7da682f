package io.millrace.core.metrics;

import java.util.List;

/** The answer of the metrics API: the metrics of one set (spec section 4.4). */
public record MetricSetResponse(List<Metric> values) {
  public MetricSetResponse {
    values = List.copyOf(values);
  }
}
