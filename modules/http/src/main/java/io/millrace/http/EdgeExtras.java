package io.millrace.http;

import io.millrace.core.api.MetricsService;
import java.util.function.Supplier;

/**
 * Optional services of the HTTP edge beyond basins, streams and records: the metrics API (spec
 * section 4.4; without it {@code /v1/metrics*} answers 501) and the Prometheus scrape served at
 * {@code GET /metrics} (without it, 404).
 *
 * @param metrics the metrics API, or null
 * @param prometheus the scrape text in the Prometheus text format 0.0.4, or null
 */
public record EdgeExtras(MetricsService metrics, Supplier<String> prometheus) {
  /** No metrics API, no scrape. */
  public static final EdgeExtras NONE = new EdgeExtras(null, null);

  /** The content type of the scrape. */
  public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
}
