package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
  @TempDir Path tmp;

  private final MainRun main = new MainRun();

  @Test
  void aDataDirThatCannotBeCreatedStopsTheServerWithAClearMessageAndANonZeroExit()
      throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-directory"), "x");

    int code = main.run("serve", "--port", "0", "--data-dir", file.resolve("data").toString());

    assertThat(code).isNotZero();
    assertThat(main.err())
        .contains("Millrace could not start")
        .contains("Cannot create the data directory")
        .contains(file.resolve("data").toString());
    assertThat(main.out()).doesNotContain("Millrace ready");
  }

  @Test
  void aDataDirThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");

    int code = main.run("serve", "--port", "0", "--data-dir", file.toString());

    assertThat(code).isNotZero();
    assertThat(main.err()).contains(file.toString());
  }

  @Test
  void helpListsTheServeOptions() {
    assertThat(main.help("serve")).contains("--host", "--port", "--data-dir");
  }

  @Test
  void flagsOverrideConfiguredValuesAndTheRestKeepItsDefaults() {
    Config config = Main.config(null, 0, tmp.resolve("d"));
    ServerSettings settings = ServerSettings.fromConfig(config);

    assertThat(settings.port()).isZero();
    assertThat(settings.dataDir()).isEqualTo(tmp.resolve("d"));
    assertThat(settings.host())
        .isEqualTo(System.getenv().getOrDefault("MILLRACE_HOST", "127.0.0.1"));
    assertThat(settings.deletionInterval()).isPositive();
    assertThat(settings.startTimeout()).isGreaterThan(Duration.ZERO);
    assertThat(config.getString("pekko.actor.provider")).isEqualTo("cluster");
  }
}
