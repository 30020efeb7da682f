package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
            "export S2_ACCESS_TOKEN=ignored",
            "Millrace ready on " + base);
    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).GET());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("OK");
  }

  @Test
  void basinsStreamsAndRecordsSurviveARestartOnTheSameDataDir() throws Exception {
    start(new ByteArrayOutputStream());
    HttpResponse<String> created =
        send(
            HttpRequest.newBuilder(uri("/v1/basins"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"basin\":\"durable-basin\"}")));
    assertThat(created.statusCode()).isEqualTo(201);
    HttpResponse<String> stream =
        send(
            HttpRequest.newBuilder(uri("/v1/streams"))
                .header("Content-Type", "application/json")
                .header("s2-basin", "durable-basin")
                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":\"orders\"}")));
    assertThat(stream.statusCode()).isEqualTo(201);
    HttpResponse<String> appended =
        send(
            HttpRequest.newBuilder(uri("/v1/streams/orders/records"))
                .header("Content-Type", "application/json")
                .header("s2-basin", "durable-basin")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"records\":[{\"body\":\"first order\"}]}")));
    assertThat(appended.statusCode()).isEqualTo(200);
    node.stop();

    start(new ByteArrayOutputStream());

    HttpResponse<String> config =
        send(
            HttpRequest.newBuilder(uri("/v1/streams/orders"))
                .header("s2-basin", "durable-basin")
                .GET());
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.body()).contains("\"storage_class\":\"express\"");
    HttpResponse<String> read =
        send(
            HttpRequest.newBuilder(uri("/v1/streams/orders/records?seq_num=0"))
                .header("s2-basin", "durable-basin")
                .GET());
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
