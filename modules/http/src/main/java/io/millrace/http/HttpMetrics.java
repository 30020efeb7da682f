package io.millrace.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The edge's Prometheus metrics: {@code millrace_http_requests_total{route, status}} (route: the
 * endpoint, a bounded set; status: the response status) and {@code millrace_sessions_open{protocol,
 * direction}} (S2S and SSE sessions being served). Counters are looked up without allocating: per
 * route an array indexed by status.
 */
final class HttpMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<String, AtomicReferenceArray<Counter>> requests =
      new ConcurrentHashMap<>();
  final AtomicInteger s2sAppendSessions = new AtomicInteger();
  final AtomicInteger s2sReadSessions = new AtomicInteger();
  final AtomicInteger sseReadSessions = new AtomicInteger();

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
    sessions("s2s", "append", s2sAppendSessions);
    sessions("s2s", "read", s2sReadSessions);
    sessions("sse", "read", sseReadSessions);
  }

  private void sessions(String protocol, String direction, AtomicInteger open) {
    Gauge.builder("millrace.sessions.open", open, AtomicInteger::get)
        .description("Streaming sessions being served, by protocol and direction.")
        .tag("protocol", protocol)
        .tag("direction", direction)
        .register(registry);
  }

  /** Counts one answered request of {@code route} (a constant) with {@code status}. */
  void request(String route, int status) {
    int s = status < 100 || status > 599 ? 0 : status - 100;
    AtomicReferenceArray<Counter> byStatus =
        requests.computeIfAbsent(route, r -> new AtomicReferenceArray<>(500));
    Counter c = byStatus.get(s);
    if (c == null) {
      c =
          Counter.builder("millrace.http.requests")
              .description("Requests answered on the S2 port, by route and status.")
              .tag("route", route)
              .tag("status", Integer.toString(status))
              .register(registry);
      byStatus.set(s, c);
    }
    c.increment();
  }
}
