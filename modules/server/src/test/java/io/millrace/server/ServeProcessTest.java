package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code millrace serve} as its own JVM, the way an operator does, and stops it with SIGTERM.
 */
class ServeProcessTest {
  @TempDir Path tmp;

  private Process process;

  @AfterEach
  void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void sigtermShutsTheServerDownGracefullyAndClosesItsStores() throws Exception {
    Path stderr = tmp.resolve("stderr.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--port",
                "0",
                "--data-dir",
                tmp.resolve("data").toString())
            .redirectError(stderr.toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String ready = null;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("Millrace ready on ")) {
        ready = line.substring("Millrace ready on ".length());
        break;
      }
    }
    assertThat(ready).as("ready line; stderr:%n%s", Files.readString(stderr)).isNotNull();
    HttpResponse<String> health =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(ready + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);

    process.destroy();

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(stderr))
        .contains("Stopping the data plane")
        .contains("Closed the metadata store and the object store.");
    assertThat(tmp.resolve("data").resolve("metadata.db")).exists();
  }
}
