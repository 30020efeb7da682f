package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 end to end on the embedded defaults (local directory, SQLite), with the sweep interval
 * and the segment flush bounds shortened by config: records of a stream with a retention of a few
 * seconds expire for readers over HTTP, and their segment and WAL chunk files leave the data dir.
 */
class LifecycleServerTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private long objectFiles(String under) throws IOException {
    Path dir = dataDir.resolve("objects").resolve(under);
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".obj")).count();
    }
  }

  private HttpResponse<String> post(String path, String basin, String json) throws Exception {
    return node.sendJson("POST", path, basin, json);
  }

  private HttpResponse<String> read(String query) throws Exception {
    return node.send(
        HttpRequest.newBuilder(node.uri("/v1/streams/short-lived/records?" + query))
            .header("s2-basin", "lifecycle-basin")
            .GET());
  }

  @Test
  void recordsPastTheirRetentionExpireAndTheirFilesLeaveTheDataDir() throws Exception {
    node.start(
        ConfigFactory.parseString(
                "millrace.engine.lifecycle.sweep-interval = 300 ms\n"
                    + "millrace.engine.segments.flush-age = 500 ms\n"
                    // Every object a file of its own (layout 2 keeps objects larger than this
                    // out of the journal), so the test sees each one come and go; the journal's
                    // own reclaiming of space is JournalObjectStoreTest's.
                    + "millrace.objectstore.local.large-object-size = 0\n")
            .withFallback(Main.config("127.0.0.1", 0, dataDir)),
        new ByteArrayOutputStream());
    assertThat(post("/v1/basins", null, "{\"basin\":\"lifecycle-basin\"}").statusCode())
        .isEqualTo(201);
    assertThat(
            post(
                    "/v1/streams",
                    "lifecycle-basin",
                    "{\"stream\":\"short-lived\",\"config\":{\"retention_policy\":{\"age\":2}}}")
                .statusCode())
        .isEqualTo(201);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> appended =
          post(
              "/v1/streams/short-lived/records",
              "lifecycle-basin",
              "{\"records\":[{\"body\":\"record " + i + "\"}]}");
      assertThat(appended.statusCode()).isEqualTo(200);
    }
    HttpResponse<String> fresh = read("seq_num=0");
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertThat(fresh.body()).contains("record 0").contains("record 4");
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> objectFiles("segments") > 0);

    // After the retention age, nothing is readable: a read from the start is past the tail (416).
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> read("seq_num=0").statusCode() == 416);
    assertThat(read("seq_num=0").body()).contains("\"seq_num\":5");

    // ... and the sweeps delete the segments and collect the WAL chunks.
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> objectFiles("segments") == 0 && objectFiles("wal") == 0);

    // The stream lives on: the next record continues the numbering.
    HttpResponse<String> next =
        post(
            "/v1/streams/short-lived/records",
            "lifecycle-basin",
            "{\"records\":[{\"body\":\"after expiry\"}]}");
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(read("seq_num=0").body()).contains("\"seq_num\":5").contains("after expiry");
  }
}
