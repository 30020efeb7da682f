package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MillraceServerTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private MillraceServer start(ByteArrayOutputStream out) {
    return node.start(Main.config("127.0.0.1", 0, dataDir), out);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return node.send(request);
  }

  private URI uri(String path) {
    return node.uri(path);
  }

  /** A JSON POST to {@code path}, in {@code basin} unless it is null. */
  private HttpResponse<String> post(String path, String basin, String json) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json");
    if (basin != null) {
      request.header("s2-basin", basin);
    }
    return send(request.POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  /** A GET of {@code path} in {@code basin}. */
  private HttpResponse<String> get(String path, String basin) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("s2-basin", basin).GET());
  }

  @Test
  void aStartedServerPrintsTheExportsAndIsHealthyOnTheChosenPort() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MillraceServer server = start(out);

    String base = "http://127.0.0.1:" + server.port();
    assertThat(server.port()).isPositive();
    assertThat(out.toString(StandardCharsets.UTF_8).lines().toList())
        .containsExactly(
            "export S2_ACCOUNT_ENDPOINT=" + base,
            "export S2_BASIN_ENDPOINT=" + base,
            "export S2_ACCESS_TOKEN=" + server.accessToken(),
            "Millrace ready on " + base);
    assertThat(server.accessToken()).startsWith("mrroot.").hasSizeGreaterThan(40);
    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).GET());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("OK");
  }

  @Test
  void theGeneratedRootTokenIsKeptInAnOwnerOnlyFileAndSurvivesARestart() throws Exception {
    String first = start(new ByteArrayOutputStream()).accessToken();
    java.nio.file.Path file = dataDir.resolve("root-token");
    assertThat(Files.readString(file).trim()).isEqualTo(first);
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    node.stop();
    assertThat(start(new ByteArrayOutputStream()).accessToken()).isEqualTo(first);
  }

  @Test
  void requestsWithoutTheRootTokenAreRefusedWith401AndHealthNeedsNone() throws Exception {
    start(new ByteArrayOutputStream());
    java.net.http.HttpClient plain = java.net.http.HttpClient.newHttpClient();
    HttpResponse<String> none =
        plain.send(
            HttpRequest.newBuilder(uri("/v1/basins")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("\"code\":\"authn\"");
    HttpResponse<String> wrong =
        plain.send(
            HttpRequest.newBuilder(uri("/v1/basins"))
                .header("Authorization", "Bearer ignored")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(send(HttpRequest.newBuilder(uri("/v1/basins")).GET()).statusCode()).isEqualTo(200);
    HttpResponse<String> health =
        plain.send(
            HttpRequest.newBuilder(uri("/health")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void aConfiguredRootTokenIsUsedAndAuthOffAcceptsAnyToken() throws Exception {
    java.util.Map<String, Object> o = new java.util.HashMap<>();
    o.put("millrace.server.host", "127.0.0.1");
    o.put("millrace.server.port", 0);
    o.put("millrace.server.data-dir", dataDir.toString());
    o.put("millrace.server.auth.root-token", "a-configured-root-token-123");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MillraceServer server = node.start(Main.config(o, null), out);
    assertThat(server.accessToken()).isEqualTo("a-configured-root-token-123");
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("export S2_ACCESS_TOKEN=a-configured-root-token-123");
    assertThat(Files.exists(dataDir.resolve("root-token"))).isFalse();
    node.stop();

    o.put("millrace.server.auth.mode", "off");
    ByteArrayOutputStream offOut = new ByteArrayOutputStream();
    node.start(Main.config(o, null), offOut);
    assertThat(offOut.toString(StandardCharsets.UTF_8)).contains("export S2_ACCESS_TOKEN=ignored");
    java.net.http.HttpClient plain = java.net.http.HttpClient.newHttpClient();
    HttpResponse<String> none =
        plain.send(
            HttpRequest.newBuilder(uri("/v1/basins")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(200);
  }

  @Test
  void aClusterNodeWithoutAGivenRootTokenRefusesToStart() {
    java.util.Map<String, Object> o = new java.util.HashMap<>();
    o.put("millrace.server.data-dir", dataDir.toString());
    o.put("millrace.server.metadata", "cassandra");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> node.start(Main.config(o, null), new ByteArrayOutputStream()))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("MILLRACE_ROOT_TOKEN");
  }

  @Test
  void basinsStreamsAndRecordsSurviveARestartOnTheSameDataDir() throws Exception {
    start(new ByteArrayOutputStream());
    HttpResponse<String> created = post("/v1/basins", null, "{\"basin\":\"durable-basin\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    HttpResponse<String> stream = post("/v1/streams", "durable-basin", "{\"stream\":\"orders\"}");
    assertThat(stream.statusCode()).isEqualTo(201);
    HttpResponse<String> appended =
        post(
            "/v1/streams/orders/records",
            "durable-basin",
            "{\"records\":[{\"body\":\"first order\"}]}");
    assertThat(appended.statusCode()).isEqualTo(200);
    node.stop();

    start(new ByteArrayOutputStream());

    HttpResponse<String> config = get("/v1/streams/orders", "durable-basin");
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.body()).contains("\"storage_class\":\"express\"");
    HttpResponse<String> read = get("/v1/streams/orders/records?seq_num=0", "durable-basin");
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).contains("\"seq_num\":0").contains("\"body\":\"first order\"");
  }

  @Test
  void aSecondNodeOnTheSameDataDirIsRefusedWithAClearMessage() {
    start(new ByteArrayOutputStream());
    ByteArrayOutputStream secondOut = new ByteArrayOutputStream();

    assertThatThrownBy(() -> start(secondOut))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("is in use by another Millrace node");
    assertThat(secondOut.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void aStoppedServerNoLongerAcceptsConnections() throws Exception {
    start(new ByteArrayOutputStream());
    URI health = uri("/health");

    node.stop();

    assertThatThrownBy(() -> send(HttpRequest.newBuilder(health).GET()))
        .isInstanceOf(ConnectException.class);
  }
}
