package io.millrace.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.api.MetricsService;
import io.millrace.core.metrics.Metric;
import io.millrace.core.metrics.MetricSet;
import io.millrace.core.metrics.MetricSetResponse;
import io.millrace.core.metrics.MetricsQuery;
import java.time.Clock;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The metrics API (spec section 4.4): {@code GET /v1/metrics}, {@code /v1/metrics/{basin}} and
 * {@code /v1/metrics/{basin}/{stream}}. A missing {@code set} and unparsable {@code start} or
 * {@code end} (not a u32) are 400 {@code bad_query}; the rest is checked by {@link MetricsQuery#of}
 * (422 {@code invalid}); a bad basin or stream name is 400 {@code bad_path}.
 */
final class MetricsEndpoints {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final MetricsService metrics;
  private final Clock clock;

  MetricsEndpoints(MetricsService metrics, Clock clock) {
    this.metrics = metrics;
    this.clock = clock;
  }

  CompletionStage<HttpResponse> account(Call call) {
    MetricsQuery q = query(call, MetricSet.Scope.ACCOUNT);
    return metrics.accountMetrics(q).thenApply(MetricsEndpoints::ok);
  }

  CompletionStage<HttpResponse> basin(Call call, String name) {
    String basin = Call.basinFromPath(name);
    MetricsQuery q = query(call, MetricSet.Scope.BASIN);
    return metrics.basinMetrics(basin, q).thenApply(MetricsEndpoints::ok);
  }

  CompletionStage<HttpResponse> stream(Call call, String basinName, String streamName) {
    String basin = Call.basinFromPath(basinName);
    String stream = Call.streamFromPath(streamName);
    MetricsQuery q = query(call, MetricSet.Scope.STREAM);
    return metrics.streamMetrics(basin, stream, q).thenApply(MetricsEndpoints::ok);
  }

  private MetricsQuery query(Call call, MetricSet.Scope scope) {
    QueryParams q = call.query();
    String set = q.string("set");
    Long start = q.u32("start");
    Long end = q.u32("end");
    String interval = q.string("interval");
    if (set == null) {
      throw QueryParams.badQuery(
          "missing query parameter 'set' (one of "
              + String.join(", ", MetricSet.names(scope))
              + ")");
    }
    return MetricsQuery.of(scope, set, start, end, interval, clock.millis() / 1000);
  }

  private static HttpResponse ok(MetricSetResponse response) {
    try {
      return Responses.json(200, MAPPER.writeValueAsBytes(json(response)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a metric set", e);
    }
  }

  /** {@code {"values": [Metric...]}}, each metric an object with one key naming its kind. */
  static ObjectNode json(MetricSetResponse response) {
    ObjectNode root = NODES.objectNode();
    ArrayNode values = root.putArray("values");
    for (Metric m : response.values()) {
      ObjectNode wrapper = values.addObject();
      if (m instanceof Metric.Scalar s) {
        ObjectNode o = wrapper.putObject("scalar");
        o.put("name", s.name());
        o.put("unit", s.unit().wireName());
        o.put("value", s.value());
      } else if (m instanceof Metric.Accumulation a) {
        ObjectNode o = wrapper.putObject("accumulation");
        o.put("name", a.name());
        o.put("unit", a.unit().wireName());
        o.put("interval", a.interval().wireName());
        points(o.putArray("values"), a.values());
      } else if (m instanceof Metric.Gauge g) {
        ObjectNode o = wrapper.putObject("gauge");
        o.put("name", g.name());
        o.put("unit", g.unit().wireName());
        points(o.putArray("values"), g.values());
      } else if (m instanceof Metric.Label l) {
        ObjectNode o = wrapper.putObject("label");
        o.put("name", l.name());
        ArrayNode a = o.putArray("values");
        l.values().forEach(a::add);
      }
    }
    return root;
  }

  private static void points(ArrayNode out, java.util.List<Metric.Point> points) {
    for (Metric.Point p : points) {
      ArrayNode pair = out.addArray();
      pair.add(p.timestamp());
      pair.add(p.value());
    }
  }
}
