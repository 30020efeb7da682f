package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through a started server: appends, reads and control operations made over HTTP show up
 * in the metrics API once metering is flushed, and stored bytes once segments are flushed and
 * sampled (short intervals configured so that the test waits for seconds, not minutes).
 */
class MeteringServerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private void start() {
    node.start(
        ConfigFactory.parseString(
                "millrace.metering.flush-interval = 200ms\n"
                    + "millrace.metering.storage-sample-interval = 300ms\n"
                    + "millrace.engine.segments.flush-age = 500ms\n")
            .withFallback(Main.config("127.0.0.1", 0, dataDir)),
        new ByteArrayOutputStream());
  }

  private HttpResponse<String> post(String path, String basin, String json) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(node.uri(path)).header("Content-Type", "application/json");
    if (basin != null) {
      r.header("s2-basin", basin);
    }
    return node.send(r.POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpResponse<String> get(String path, String basin) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(node.uri(path));
    if (basin != null) {
      r.header("s2-basin", basin);
    }
    return node.send(r.GET());
  }

  private JsonNode metrics(String path) throws Exception {
    HttpResponse<String> r = get(path, null);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return MAPPER.readTree(r.body());
  }

  /** The sum of the values of the accumulation or gauge called {@code name}. */
  private static double total(JsonNode response, String name) {
    double sum = 0;
    for (JsonNode m : response.get("values")) {
      JsonNode series = m.has("accumulation") ? m.get("accumulation") : m.get("gauge");
      if (series != null && series.get("name").asText().equals(name)) {
        for (JsonNode point : series.get("values")) {
          sum += point.get(1).asDouble();
        }
      }
    }
    return sum;
  }

  private static List<String> labels(JsonNode response) {
    List<String> out = new ArrayList<>();
    response.get("values").get(0).get("label").get("values").forEach(v -> out.add(v.asText()));
    return out;
  }

  private static <T> T eventually(
      String what, Callable<T> probe, java.util.function.Predicate<T> ok) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    T last = probe.call();
    while (!ok.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting for " + what + "; last: " + last);
      }
      Thread.sleep(100);
      last = probe.call();
    }
    return last;
  }

  @Test
  void appendsReadsAndControlOperationsAreCountedAndStoredBytesAppear() throws Exception {
    start();
    assertThat(post("/v1/basins", null, "{\"basin\":\"metered-basin\"}").statusCode())
        .isEqualTo(201);
    assertThat(post("/v1/streams", "metered-basin", "{\"stream\":\"orders\"}").statusCode())
        .isEqualTo(201);
    // Two batches: 3 records of "abcd" (12 metered bytes each) and 1 record of "xy" (10 bytes).
    assertThat(
            post(
                    "/v1/streams/orders/records",
                    "metered-basin",
                    "{\"records\":[{\"body\":\"abcd\"},{\"body\":\"abcd\"},{\"body\":\"abcd\"}]}")
                .statusCode())
        .isEqualTo(200);
    assertThat(
            post("/v1/streams/orders/records", "metered-basin", "{\"records\":[{\"body\":\"xy\"}]}")
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> read = get("/v1/streams/orders/records?seq_num=0", "metered-basin");
    assertThat(read.statusCode()).isEqualTo(200);

    JsonNode appendOps =
        eventually(
            "two append ops",
            () -> metrics("/v1/metrics/metered-basin?set=append-ops"),
            r -> total(r, "express") + total(r, "standard") == 2);
    assertThat(appendOps.get("values")).hasSize(2);
    eventually(
        "46 appended bytes",
        () -> metrics("/v1/metrics/metered-basin?set=append-throughput"),
        r -> total(r, "express") + total(r, "standard") == 46);
    eventually(
        "one unary read",
        () -> metrics("/v1/metrics/metered-basin?set=read-ops&interval=hour"),
        r -> total(r, "unary") == 1 && total(r, "streaming") == 0);
    eventually(
        "46 read bytes",
        () -> metrics("/v1/metrics/metered-basin?set=read-throughput&interval=day"),
        r -> total(r, "read_throughput") == 46);
    eventually(
        "one create_stream",
        () -> metrics("/v1/metrics/metered-basin?set=basin-ops"),
        r -> total(r, "create_stream") == 1);
    eventually(
        "one create_basin",
        () -> metrics("/v1/metrics?set=account-ops"),
        r -> total(r, "create_basin") >= 1);
    eventually(
        "the basin active",
        () -> labels(metrics("/v1/metrics?set=active-basins")),
        l -> l.contains("metered-basin"));

    JsonNode streamStorage =
        eventually(
            "the stream's stored bytes",
            () -> metrics("/v1/metrics/metered-basin/orders?set=storage"),
            r -> lastValue(r) > 0);
    long stored = (long) lastValue(streamStorage);
    assertThat(stored).isGreaterThanOrEqualTo(46);
    eventually(
        "the basin's stored bytes",
        () -> metrics("/v1/metrics/metered-basin?set=storage"),
        r -> lastValue(r) == stored);

    assertThat(get("/v1/metrics/no-such-basin?set=storage", null).statusCode()).isEqualTo(404);
    assertThat(get("/v1/metrics/metered-basin/nope?set=storage", null).statusCode()).isEqualTo(404);
  }

  private static double lastValue(JsonNode response) {
    JsonNode values = response.get("values").get(0).get("gauge").get("values");
    return values.isEmpty() ? 0 : values.get(values.size() - 1).get(1).asDouble();
  }
}
