package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM, each on its own embedded stores (membership is the point here), find each
 * other by Pekko Management cluster bootstrap with config discovery: no seed nodes anywhere.
 */
class ClusterBootstrapTest {
  @TempDir Path tmp;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final ObjectMapper json = new ObjectMapper();
  private final List<CompletableFuture<MillraceServer>> nodes = new ArrayList<>();

  /** Stops the nodes one after the other, so each leaves a cluster that can still move it out. */
  @AfterEach
  void stopAll() throws Exception {
    for (CompletableFuture<MillraceServer> node : nodes) {
      MillraceServer server;
      try {
        server = node.get(90, TimeUnit.SECONDS);
      } catch (Exception e) {
        continue;
      }
      server.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void threeNodesFormOneClusterByBootstrapWithoutSeedNodesAndEachBecomesReady() throws Exception {
    int[] managementPorts = {freePort(), freePort(), freePort()};
    String contactPoints =
        "127.0.0.1:"
            + managementPorts[0]
            + ",127.0.0.1:"
            + managementPorts[1]
            + ",127.0.0.1:"
            + managementPorts[2];
    long begin = System.nanoTime();
    startNode(1, managementPorts[0], contactPoints);
    startNode(2, managementPorts[1], contactPoints);

    // All three contact points are required: two nodes alone must not form a cluster, and they
    // report not ready on the management port while they wait.
    String first = "http://127.0.0.1:" + managementPorts[0];
    HttpResponse<String> waiting =
        Awaitility.await("node 1's management port")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(() -> get(first + "/health/ready"), r -> r.statusCode() != 404);
    assertThat(waiting.statusCode()).isEqualTo(500);
    assertThat(waiting.body()).contains("not ready: this node is not an Up member of the cluster");
    assertThat(json.readTree(get(first + "/cluster/members").body()).get("members")).isEmpty();

    startNode(3, managementPorts[2], contactPoints);
    List<MillraceServer> servers = new ArrayList<>();
    for (CompletableFuture<MillraceServer> node : nodes) {
      servers.add(node.get(90, TimeUnit.SECONDS));
    }
    long startedMillis = (System.nanoTime() - begin) / 1_000_000;

    Set<String> selfNodes = new HashSet<>();
    for (MillraceServer server : servers) {
      String base = "http://127.0.0.1:" + server.managementPort();
      assertThat(server.managementPort())
          .isIn(managementPorts[0], managementPorts[1], managementPorts[2]);
      JsonNode members = awaitThreeUpMembers(base + "/cluster/members");
      selfNodes.add(members.get("selfNode").asText());
      Set<String> memberNodes = new HashSet<>();
      members.get("members").forEach(m -> memberNodes.add(m.get("node").asText()));
      assertThat(memberNodes).hasSize(3).contains(members.get("selfNode").asText());
      HttpResponse<String> ready = get(base + "/health/ready");
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      assertThat(get(server.baseUrl() + "/health").statusCode()).isEqualTo(200);
      assertThat(get(base + "/metrics").body().lines())
          .contains("millrace_cluster_members{status=\"Up\"} 3.0", "millrace_node_ready 1.0");
    }
    assertThat(selfNodes).hasSize(3);
    System.out.println(
        "Three nodes formed a cluster by bootstrap and were ready after "
            + startedMillis
            + " ms (the third started once the first two reported not ready).");
  }

  private void startNode(int n, int managementPort, String contactPoints) {
    Map<String, Object> o = new HashMap<>();
    o.put("millrace.server.port", 0);
    o.put("millrace.server.data-dir", tmp.resolve("node-" + n).toString());
    o.put("millrace.server.node-name", "node-" + n);
    o.put("millrace.server.management.port", managementPort);
    o.put("millrace.server.bootstrap.contact-points", contactPoints);
    var config = Main.config(o, null);
    assertThat(config.getStringList("pekko.cluster.seed-nodes")).isEmpty();
    nodes.add(
        CompletableFuture.supplyAsync(
            () ->
                MillraceServer.start(
                    config,
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))));
  }

  /** The node's view of the members, once it sees three, all Up. */
  private JsonNode awaitThreeUpMembers(String url) {
    return Awaitility.await("3 Up members at " + url)
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> json.readTree(get(url).body()),
            view -> {
              int up = 0;
              for (JsonNode m : view.get("members")) {
                up += "Up".equals(m.get("status").asText()) ? 1 : 0;
              }
              return up == 3 && view.get("members").size() == 3;
            });
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer ignored")
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
