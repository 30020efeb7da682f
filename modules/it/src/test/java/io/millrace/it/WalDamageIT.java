package io.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 fault 3 against the built jar: a WAL chunk deleted after a SIGKILL, with later chunks
 * after it. Before the fix, recovery sealed at the hole, the tail moved back and the next append
 * was acknowledged with a seq num acknowledged before. Now the stream answers {@code data_loss},
 * {@code /health} says degraded, and {@code millrace verify} names the lost chunk.
 */
class WalDamageIT {
  private static final int APPENDS = 10;
  private final Path jar =
      Path.of(System.getProperty("millrace.jar", "../server/target/millrace.jar"));
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private Process server;
  private String token;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }

  private URI start(Path dataDir, Path log) {
    int port = ServerProcess.freePort();
    URI api = URI.create("http://127.0.0.1:" + port);
    server =
        ServerProcess.launch(
            jar,
            // Every object a file of its own (the embedded store's layout 2 keeps objects larger
            // than large-object-size out of its journal), so one WAL chunk can be deleted by hand.
            List.of("-Xms512m", "-Xmx512m", "-Dmillrace.objectstore.local.large-object-size=0"),
            List.of(
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toString()),
            log);
    ServerProcess.awaitHealthy(server, api, Duration.ofSeconds(60), "server", log);
    try {
      // Auth is on: the root token the server generated into its data dir (kept across restarts).
      token = Files.readString(dataDir.resolve("root-token")).trim();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return api;
  }

  private HttpResponse<String> append(URI api, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(api.resolve("/v1/streams/events/records"))
            .timeout(Duration.ofSeconds(30))
            .header("s2-basin", "wal-basin")
            .header("authorization", "Bearer " + token)
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString("{\"records\":[{\"body\":\"" + body + "\"}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(URI api, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(api.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("s2-basin", "wal-basin")
            .header("authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aLostChunkFollowedByLaterChunksIsReportedAndNoSeqNumIsHandedOutTwice() throws Exception {
    Path dataDir = Files.createTempDirectory("wal-damage");
    Path logs = Path.of("target/it-logs");
    URI api = start(dataDir, logs.resolve("wal-damage-1.log"));
    S2Client client = new S2Client(api, token);
    client.createBasin("wal-basin", "{}");
    client.createStream("wal-basin", "events", "{}");
    for (int i = 0; i < APPENDS; i++) {
      HttpResponse<String> ack = append(api, "r" + i);
      assertThat(ack.statusCode()).isEqualTo(200);
      JsonNode json = S2Client.JSON.readTree(ack.body());
      assertThat(json.path("start").path("seq_num").asLong()).isEqualTo(i);
    }
    server.destroyForcibly().waitFor(20, TimeUnit.SECONDS);

    // The channel whose chunks hold the appends (one chunk each, group commit at low load).
    Path channel;
    try (Stream<Path> dirs = Files.list(dataDir.resolve("objects").resolve("wal"))) {
      channel = dirs.max(Comparator.comparingLong(WalDamageIT::fileCount)).orElseThrow();
    }
    List<Path> chunks;
    try (Stream<Path> files = Files.list(channel)) {
      chunks = files.sorted().toList();
    }
    assertThat(chunks.size()).isGreaterThanOrEqualTo(APPENDS);
    Files.delete(chunks.get(1));

    api = start(dataDir, logs.resolve("wal-damage-2.log"));
    HttpResponse<String> next = append(api, "after-crash");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(500);
    assertThat(next.body()).contains("\"code\":\"data_loss\"").contains("needs repair");
    HttpResponse<String> read = get(api, "/v1/streams/events/records?seq_num=0");
    assertThat(read.statusCode()).isEqualTo(500);
    assertThat(read.body()).contains("data_loss");
    HttpResponse<String> health = get(api, "/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).startsWith("degraded: ").contains("needs repair");
    server.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    server = null;

    Process verify =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toAbsolutePath().toString(),
                "verify",
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(verify.exitValue()).as(output).isEqualTo(3);
    assertThat(output).contains("DAMAGED WAL chunk 1 of channel").contains("written and lost");
  }

  private static long fileCount(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    } catch (java.io.IOException e) {
      return 0;
    }
  }
}
