package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locations through the real server: the configured set, the stored default, bad settings. */
class LocationsServerTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private void start(String locations) throws Exception {
    Path file = dataDir.resolve("locations.conf");
    Files.writeString(file, locations);
    java.util.Map<String, Object> overrides = new java.util.HashMap<>();
    overrides.put("millrace.server.host", "127.0.0.1");
    overrides.put("millrace.server.port", 0);
    overrides.put("millrace.server.data-dir", dataDir.resolve("data").toString());
    node.start(Main.config(overrides, file), new ByteArrayOutputStream());
  }

  @Test
  void theDefaultSetThroughTheApiSurvivesARestartAndBasinsReportTheirLocation() throws Exception {
    String conf =
        "millrace.locations { available = [{name = local}, {name = vault-1, private = true}],"
            + " default = local }";
    start(conf);
    HttpResponse<String> set = node.sendJson("PUT", "/v1/locations/default", null, "\"vault-1\"");
    assertThat(set.statusCode()).isEqualTo(200);
    assertThat(set.body()).isEqualTo("{\"name\":\"vault-1\",\"is_private\":true}");
    node.stop();

    start(conf);
    assertThat(node.get(node.uri("/v1/locations/default").toString()).body())
        .contains("\"vault-1\"");
    HttpResponse<String> created =
        node.sendJson("POST", "/v1/basins", null, "{\"basin\":\"placed-basin\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.body()).contains("\"location\":\"vault-1\"");
  }

  @Test
  void aDefaultThatIsNotOfferedStopsTheStartWithAClearMessage() {
    assertThatThrownBy(
            () -> start("millrace.locations { available = [{name = local}], default = mars-1 }"))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("millrace.locations")
        .hasMessageContaining("mars-1");
  }
}
