package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --log-format json}: every log event is one JSON object per line on stderr. */
class LogFormatTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path tmp;

  private Process process;

  @AfterEach
  void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void jsonLogsAreOneObjectPerLineWithLevelLoggerAndMessage() throws Exception {
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
                tmp.resolve("data").toString(),
                "--log-format",
                "json")
            .redirectError(stderr.toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    boolean ready = false;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("Millrace ready on ")) {
        ready = true;
        break;
      }
    }
    assertThat(ready).as("ready line; stderr:%n%s", Files.readString(stderr)).isTrue();
    process.destroy();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    List<JsonNode> events = new ArrayList<>();
    for (String line : Files.readAllLines(stderr)) {
      if (line.startsWith("{")) {
        events.add(MAPPER.readTree(line));
      }
    }
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.get("level").asText()).isEqualTo("INFO");
              assertThat(e.get("loggerName").asText()).isEqualTo(MillraceServer.class.getName());
              assertThat(e.get("formattedMessage").asText()).contains("is ready on");
              assertThat(e.get("timestamp").asLong()).isPositive();
            })
        .anySatisfy(
            e ->
                assertThat(e.get("formattedMessage").asText()).contains("Stopping the data plane"));
    assertThat(Files.readString(stderr)).doesNotContain(" INFO  MillraceServer - ");
  }

  @Test
  void anUnknownLogFormatIsRefusedBeforeStarting() {
    MainRun main = new MainRun();
    int code = main.run("serve", "--port", "0", "--data-dir", "x", "--log-format", "xml");
    assertThat(code).isEqualTo(2);
    assertThat(main.err()).contains("log format must be text or json");
  }
}
