package io.millrace.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.millrace.core.api.MetricsService;
import java.util.function.Supplier;

/**
 * Optional services of the HTTP edge beyond basins, streams and records: the metrics API (spec
 * section 4.4; without it {@code /v1/metrics*} answers 501) and the Prometheus scrape served at
 * {@code GET /metrics} (without it, 404).
 *
 * @param metrics the metrics API, or null
 * @param prometheus the scrape text in the Prometheus text format 0.0.4, or null
 * @param registry where the edge registers its request counts and open sessions, or null
 */
public record EdgeExtras(
    MetricsService metrics, Supplier<String> prometheus, MeterRegistry registry) {
  /** No metrics API, no scrape. */
  public static final EdgeExtras NONE = new EdgeExtras(null, null);

  /** Without a registry: the edge's request and session metrics go to a registry of their own. */
  public EdgeExtras(MetricsService metrics, Supplier<String> prometheus) {
    this(metrics, prometheus, null);
  }

  /** The registry the edge registers its metrics in. */
  MeterRegistry registryOrOwn() {
    return registry != null
        ? registry
        : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  }

  /** The content type of the scrape. */
  public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
}
