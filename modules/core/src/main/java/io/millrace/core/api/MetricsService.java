package io.millrace.core.api;

import io.millrace.core.metrics.MetricSetResponse;
import io.millrace.core.metrics.MetricsQuery;
import java.util.concurrent.CompletionStage;

/**
 * The metrics API (spec section 4.4). Queries are validated by {@link MetricsQuery#of}; a basin or
 * stream that does not exist completes with 404 {@code basin_not_found} / {@code stream_not_found}.
 * Failures complete exceptionally with S2Exception.
 */
public interface MetricsService {
  CompletionStage<MetricSetResponse> accountMetrics(MetricsQuery query);

  CompletionStage<MetricSetResponse> basinMetrics(String basin, MetricsQuery query);

  CompletionStage<MetricSetResponse> streamMetrics(String basin, String stream, MetricsQuery query);
}
