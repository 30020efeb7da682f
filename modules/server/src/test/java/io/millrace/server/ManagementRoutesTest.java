package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The management port of an embedded node: cluster, health and metrics routes. */
class ManagementRoutesTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();
  private MillraceServer server;

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private MillraceServer start(String managementPort) {
    Map<String, Object> o = new HashMap<>();
    o.put("millrace.server.port", 0);
    o.put("millrace.server.data-dir", dataDir.toString());
    if (managementPort != null) {
      o.put("millrace.server.management.port", managementPort);
    }
    return node.start(Main.config(o, null), new ByteArrayOutputStream());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return node.get(url);
  }

  private String management(String path) {
    return "http://127.0.0.1:" + server.managementPort() + path;
  }

  @Test
  void theManagementPortIsOffByDefault() throws Exception {
    server = start(null);

    assertThat(server.managementPort()).isEqualTo(-1);
    assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
  }

  @Test
  void anEmbeddedNodeReportsItselfAsTheOnlyUpMemberAndReady() throws Exception {
    server = start("0");

    assertThat(server.managementPort()).isPositive();
    HttpResponse<String> members = get(management("/cluster/members"));
    assertThat(members.statusCode()).isEqualTo(200);
    assertThat(members.body()).contains("\"status\":\"Up\"").contains("\"selfNode\"");
    assertThat(members.body().split("\"status\"", -1)).hasSize(2);
    HttpResponse<String> ready = get(management("/health/ready"));
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(get(management("/health/alive")).statusCode()).isEqualTo(200);
    assertThat(server.readiness().ready()).isTrue();
    assertThat(get(management("/cluster/shards/millrace-stream")).statusCode()).isEqualTo(200);
  }

  @Test
  void metricsArePrometheusTextThatCountsAppendsAndTheShardsShowTheStream() throws Exception {
    server = start("0");
    send("POST", "/v1/basins", null, "{\"basin\":\"metrics-basin\"}");
    send("POST", "/v1/streams", "metrics-basin", "{\"stream\":\"s\"}");
    HttpResponse<String> appended =
        send(
            "POST",
            "/v1/streams/s/records",
            "metrics-basin",
            "{\"records\":[{\"body\":\"a\"},{\"body\":\"b\"}]}");
    assertThat(appended.statusCode()).isEqualTo(200);

    HttpResponse<String> metrics = get(management("/metrics"));
    HttpResponse<String> shards = get(management("/cluster/shards/millrace-stream"));

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/plain")
        .contains("version=0.0.4");
    assertThat(metrics.body().lines())
        .contains(
            "# TYPE millrace_appends_total counter",
            "millrace_appends_total 1.0",
            "millrace_appended_records_total 2.0",
            "millrace_node_ready 1.0",
            "millrace_cluster_members{status=\"Up\"} 1.0",
            "millrace_cluster_self_up 1.0")
        .anyMatch(l -> l.startsWith("jvm_memory_heap_used_bytes "));
    assertThat(shards.statusCode()).isEqualTo(200);
    assertThat(shards.body()).contains("\"numEntities\":1");
  }

  private HttpResponse<String> send(String method, String path, String basin, String json)
      throws Exception {
    return node.sendJson(method, path, basin, json);
  }
}
