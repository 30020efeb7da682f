package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.MetricsService;
import io.millrace.core.metrics.Metric;
import io.millrace.core.metrics.MetricSetResponse;
import io.millrace.core.metrics.MetricUnit;
import io.millrace.core.metrics.MetricsQuery;
import io.millrace.core.metrics.TimeseriesInterval;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics API routes and {@code GET /metrics} over HTTP: what the edge parses, which errors it
 * answers itself, and the JSON shape of every metric kind.
 */
class MetricsEndpointsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final Recorder metrics = new Recorder();
  private static ActorSystem<Void> system;
  private static ServerBinding binding;
  private static String base;

  /** Records the queries and answers with one metric of each kind, or fails as told. */
  static final class Recorder implements MetricsService {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile MetricsQuery last;

    private CompletionStage<MetricSetResponse> answer(String call, MetricsQuery q) {
      calls.add(call);
      last = q;
      if (call.contains("no-such-basin")) {
        return CompletableFuture.failedFuture(
            new S2Exception(ErrorCode.BASIN_NOT_FOUND, "basin no-such-basin not found"));
      }
      if (call.contains("missing")) {
        return CompletableFuture.failedFuture(
            new S2Exception(ErrorCode.STREAM_NOT_FOUND, "stream missing not found"));
      }
      return CompletableFuture.completedFuture(
          new MetricSetResponse(
              List.of(
                  new Metric.Accumulation(
                      "express",
                      MetricUnit.OPERATIONS,
                      TimeseriesInterval.MINUTE,
                      List.of(new Metric.Point(1_800_000_040L, 3))),
                  new Metric.Gauge(
                      "storage", MetricUnit.BYTES, List.of(new Metric.Point(1_800_000_000L, 42))),
                  new Metric.Label("active_basins", List.of("orders-basin")),
                  new Metric.Scalar("x", MetricUnit.BYTES, 1.5))));
    }

    @Override
    public CompletionStage<MetricSetResponse> accountMetrics(MetricsQuery q) {
      return answer("account", q);
    }

    @Override
    public CompletionStage<MetricSetResponse> basinMetrics(String basin, MetricsQuery q) {
      return answer("basin " + basin, q);
    }

    @Override
    public CompletionStage<MetricSetResponse> streamMetrics(
        String basin, String stream, MetricsQuery q) {
      return answer("stream " + basin + " " + stream, q);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "metrics-edge-test",
            ConfigFactory.parseString("pekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
    StubServices stubs = new StubServices();
    binding =
        S2HttpServer.bind(
                system,
                new HttpSettings("127.0.0.1", 0),
                stubs,
                stubs,
                stubs,
                () -> true,
                new EdgeExtras(metrics, () -> "# HELP up Up.\n# TYPE up gauge\nup 1\n"))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    metrics.calls.clear();
    metrics.last = null;
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private static void assertError(HttpResponse<String> r, int status, String code)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    JsonNode body = MAPPER.readTree(r.body());
    assertThat(body.get("code").asText()).isEqualTo(code);
    assertThat(body.get("message").asText()).isNotEmpty();
  }

  @Test
  void everyMetricKindIsEncodedAsTheSpecSays() throws Exception {
    HttpResponse<String> r = get("/v1/metrics?set=account-ops&interval=minute");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(r.body()))
        .isEqualTo(
            MAPPER.readTree(
                """
                {"values": [
                  {"accumulation": {"name": "express", "unit": "operations", "interval": "minute",
                                    "values": [[1800000040, 3.0]]}},
                  {"gauge": {"name": "storage", "unit": "bytes", "values": [[1800000000, 42.0]]}},
                  {"label": {"name": "active_basins", "values": ["orders-basin"]}},
                  {"scalar": {"name": "x", "unit": "bytes", "value": 1.5}}
                ]}
                """));
  }

  @Test
  void eachScopeReachesItsServiceWithTheParsedQuery() throws Exception {
    long now = now();
    assertThat(
            get("/v1/metrics?set=active-basins&start=" + (now - 60) + "&end=" + now).statusCode())
        .isEqualTo(200);
    assertThat(metrics.last.start()).isEqualTo(now - 60);
    assertThat(metrics.last.end()).isEqualTo(now);

    for (String set :
        List.of(
            "storage",
            "append-ops",
            "read-ops",
            "read-throughput",
            "append-throughput",
            "basin-ops")) {
      assertThat(get("/v1/metrics/orders-basin?set=" + set).statusCode()).as(set).isEqualTo(200);
      assertThat(metrics.last.set().wireName()).isEqualTo(set);
    }
    assertThat(get("/v1/metrics/orders-basin/a%2Fb?set=storage&interval=minute").statusCode())
        .isEqualTo(200);
    assertThat(metrics.calls).contains("account", "basin orders-basin", "stream orders-basin a/b");
  }

  @Test
  void badSetsRangesAndIntervalsAreRefusedBeforeTheService() throws Exception {
    long now = now();
    assertError(get("/v1/metrics"), 400, "bad_query");
    assertError(get("/v1/metrics?set=storage"), 422, "invalid");
    assertError(get("/v1/metrics?set=invalid-set"), 422, "invalid");
    assertError(get("/v1/metrics/orders-basin?set=active-basins"), 422, "invalid");
    assertError(get("/v1/metrics/orders-basin/s?set=append-ops"), 422, "invalid");
    assertError(get("/v1/metrics?set=account-ops&start=abc"), 400, "bad_query");
    assertError(get("/v1/metrics?set=account-ops&end=-5"), 400, "bad_query");
    assertError(get("/v1/metrics?set=account-ops&start=99999999999"), 400, "bad_query");
    assertError(
        get("/v1/metrics?set=active-basins&start=" + now + "&end=" + (now - 3600)), 422, "invalid");
    assertError(
        get("/v1/metrics?set=active-basins&start=" + (now - 3600) + "&end=" + (now + 600)),
        422,
        "invalid");
    assertError(
        get("/v1/metrics?set=active-basins&start=" + (now - 40 * 86400) + "&end=" + now),
        422,
        "invalid");
    assertError(get("/v1/metrics?set=account-ops&interval=week"), 422, "invalid");
    assertError(get("/v1/metrics/orders-basin?set=storage&interval=minute"), 422, "invalid");
    assertError(get("/v1/metrics/orders-basin/s?set=storage&interval=hour"), 422, "invalid");
    assertThat(metrics.calls).isEmpty();
  }

  @Test
  void badNamesAreBadPathsAndUnknownOnesNotFound() throws Exception {
    assertError(get("/v1/metrics/NOT_A_BASIN?set=storage"), 400, "bad_path");
    assertError(get("/v1/metrics/orders-basin/..?set=storage"), 404, "not_found");
    assertError(get("/v1/metrics/no-such-basin?set=storage"), 404, "basin_not_found");
    assertError(get("/v1/metrics/orders-basin/missing?set=storage"), 404, "stream_not_found");
  }

  @Test
  void onlyGetIsAllowed() throws Exception {
    HttpResponse<String> r =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/metrics/orders-basin?set=storage"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("allow")).contains("GET");
  }

  @Test
  void theScrapeIsServedAtRootMetricsAsPrometheusText() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    assertThat(r.body()).contains("up 1");
  }
}
