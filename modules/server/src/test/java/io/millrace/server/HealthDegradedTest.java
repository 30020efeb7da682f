package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14 item 6: {@code /health} must not answer 200 OK while the data disk is full. */
class HealthDegradedTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  @Test
  void aDataDiskWithLessThanTheMinimumFreeSpaceMakesHealthReportDegraded() throws Exception {
    // No disk has an exabyte free: the node sees its disk as full.
    node.start(
        ConfigFactory.parseString("millrace.server.min-free-disk = 1000000 TiB")
            .withFallback(Main.config("127.0.0.1", 0, dataDir)),
        new ByteArrayOutputStream());
    HttpResponse<String> health = node.send(HttpRequest.newBuilder(node.uri("/health")).GET());
    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(health.body())
        .contains("\"code\":\"unavailable\"")
        .contains("degraded: the data directory's disk has")
        .contains("min-free-disk");
  }

  @Test
  void theMinimumFreeSpaceCheckNamesTheShortfallAndPassesWithRoomToSpare() {
    assertThat(new DiskWatch(dataDir, Long.MAX_VALUE).problem()).get().asString().contains("free");
    assertThat(new DiskWatch(dataDir, 0).problem()).isEmpty();
  }
}
