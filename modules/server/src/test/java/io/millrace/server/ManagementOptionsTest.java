package io.millrace.server;

import static io.millrace.server.MainRun.serveConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The management port and cluster bootstrap flags, their config keys and their checks. */
class ManagementOptionsTest {
  @TempDir Path tmp;

  private final MainRun main = new MainRun();

  @Test
  void byDefaultTheManagementPortIsOffAndTheNodeDoesNotBootstrap() {
    Config config = serveConfig(null);
    ManagementSettings settings = ManagementSettings.fromConfig(config);

    assertThat(settings.enabled()).isFalse();
    assertThat(settings.bootstrap()).isFalse();
    assertThat(ManagementSettings.usageError(config)).isEmpty();
    assertThat(settings.pekkoConfig().hasPath("pekko.management.http.port")).isFalse();
    assertThat(settings.pekkoConfig().hasPath("pekko.discovery.config.services")).isFalse();
  }

  @Test
  void theManagementPortAndHostFlagsSetPekkoManagementsHostAndPort() {
    Config pekko =
        ManagementSettings.fromConfig(
                serveConfig(null, "--management-port", "7626", "--management-host", "10.0.0.5"))
            .pekkoConfig();

    assertThat(pekko.getInt("pekko.management.http.port")).isEqualTo(7626);
    assertThat(pekko.getString("pekko.management.http.hostname")).isEqualTo("10.0.0.5");
  }

  @Test
  void theManagementHostDefaultsToTheClusterHost() {
    ManagementSettings settings =
        ManagementSettings.fromConfig(
            serveConfig(null, "--management-port", "0", "--cluster-host", "127.0.0.7"));

    assertThat(settings.port()).isZero();
    assertThat(settings.host()).isEqualTo("127.0.0.7");
  }

  @Test
  void bootstrapFlagsBecomeConfigDiscoveryOfTheContactPoints() {
    Config config =
        serveConfig(
            null,
            "--management-port",
            "7626",
            "--bootstrap-contact-points",
            "10.0.0.1:7626,10.0.0.2:7626,[::1]:7627",
            "--bootstrap-required-contact-points",
            "2");
    ManagementSettings settings = ManagementSettings.fromConfig(config);
    Config pekko = settings.pekkoConfig().withFallback(config);

    assertThat(ManagementSettings.usageError(config)).isEmpty();
    assertThat(settings.contactPoints())
        .containsExactly(
            new ManagementSettings.ContactPoint("10.0.0.1", 7626),
            new ManagementSettings.ContactPoint("10.0.0.2", 7626),
            new ManagementSettings.ContactPoint("::1", 7627));
    String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertThat(pekko.getString(d + "discovery-method")).isEqualTo("config");
    assertThat(pekko.getString(d + "service-name")).isEqualTo("millrace");
    assertThat(pekko.getInt(d + "required-contact-point-nr")).isEqualTo(2);
    assertThat(
            pekko.getBoolean(
                "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port"))
        .isFalse();
    assertThat(pekko.getConfigList("pekko.discovery.config.services.millrace.endpoints"))
        .extracting(c -> c.getString("host") + "/" + c.getInt("port"))
        .containsExactly("10.0.0.1/7626", "10.0.0.2/7626", "::1/7627");
    assertThat(pekko.getStringList("pekko.cluster.seed-nodes")).isEmpty();
  }

  @Test
  void withoutACountEveryContactPointIsRequired() {
    ManagementSettings settings =
        ManagementSettings.fromConfig(
            serveConfig(
                null, "--management-port", "1", "--bootstrap-contact-points", "a:1,b:1,c:1"));

    assertThat(settings.requiredContactPoints()).isEqualTo(3);
  }

  @Test
  void aConfigFileCanListTheContactPointsAndTheFlagsWinOverIt() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("node.conf"),
            "millrace.server.management.port = 7001\n"
                + "millrace.server.bootstrap { contact-points = [\"h1:7001\", \"h2:7001\"] }\n");

    ManagementSettings fromFile = ManagementSettings.fromConfig(serveConfig(file));
    ManagementSettings overridden =
        ManagementSettings.fromConfig(serveConfig(file, "--management-port", "7002"));

    assertThat(fromFile.port()).isEqualTo(7001);
    assertThat(fromFile.contactPoints())
        .extracting(Object::toString)
        .containsExactly("h1:7001", "h2:7001");
    assertThat(overridden.port()).isEqualTo(7002);
  }

  @Test
  void aCommaSeparatedStringOfContactPointsIsAcceptedAsWellAsAList() {
    Config config =
        Main.config(
            Map.of(
                "millrace.server.management.port", "7626",
                "millrace.server.bootstrap.contact-points", "h1:7626, h2:7626"),
            null);

    assertThat(ManagementSettings.fromConfig(config).contactPoints())
        .extracting(Object::toString)
        .containsExactly("h1:7626", "h2:7626");
  }

  /** {@code serve --port 0 --data-dir <tmp>/d} followed by {@code more}. */
  private String[] serveOnAnyPort(String... more) {
    return Stream.concat(
            Stream.of("serve", "--port", "0", "--data-dir", tmp.resolve("d").toString()),
            Stream.of(more))
        .toArray(String[]::new);
  }

  @Test
  void seedNodesTogetherWithBootstrapStopTheStartWithExitCode2() {
    assertThat(
            main.errOfExit(
                2,
                serveOnAnyPort(
                    "--management-port",
                    "0",
                    "--seed-nodes",
                    "127.0.0.1:25521",
                    "--bootstrap-contact-points",
                    "127.0.0.1:7626")))
        .contains("--seed-nodes")
        .contains("--bootstrap-contact-points")
        .contains("exclude each other");
    assertThat(main.out()).doesNotContain("Millrace ready");
  }

  @Test
  void bootstrapWithoutAManagementPortStopsTheStartWithExitCode2() {
    assertThat(main.errOfExit(2, serveOnAnyPort("--bootstrap-contact-points", "127.0.0.1:7626")))
        .contains("needs --management-port");
  }

  @Test
  void moreRequiredContactPointsThanListedStopTheStartWithExitCode2() {
    assertThat(
            main.errOfExit(
                2,
                "serve",
                "--management-port",
                "0",
                "--bootstrap-contact-points",
                "127.0.0.1:7626",
                "--bootstrap-required-contact-points",
                "2"))
        .contains("--bootstrap-required-contact-points is 2 but only 1 contact point(s)");
  }

  @Test
  void aContactPointWithoutAPortOrAnInvalidManagementPortIsRefusedByName() {
    assertThatThrownBy(
            () ->
                ManagementSettings.fromConfig(
                    serveConfig(
                        null, "--management-port", "1", "--bootstrap-contact-points", "h1")))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("\"h1\" is not host:port");
    assertThat(main.errOfExit(1, "serve", "--management-port", "seventy"))
        .contains("millrace.server.management.port is \"seventy\"");
  }

  @Test
  void aRequiredContactPointCountThatIsNotANumberIsRefusedByName() {
    assertThatThrownBy(
            () ->
                ManagementSettings.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString(
                            "millrace.server.bootstrap.required-contact-points = three")
                        .withFallback(serveConfig(null, "--management-port", "1"))))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("millrace.server.bootstrap.required-contact-points must be a whole");
  }

  @Test
  void aBootstrappingNodeMissingFromTheContactPointsAsItAdvertisesItselfIsWarnedAbout() {
    ManagementSettings s =
        ManagementSettings.fromConfig(
            serveConfig(
                null,
                "--management-port",
                "7626",
                "--management-host",
                "localhost",
                "--bootstrap-contact-points",
                "127.0.0.1:7626,127.0.0.1:7627"));

    assertThat(s.selfNotListedWarning(7626))
        .hasValueSatisfying(w -> assertThat(w).contains("localhost:7626").contains("never form"));
    ManagementSettings listed =
        ManagementSettings.fromConfig(
            serveConfig(
                null,
                "--management-port",
                "7627",
                "--management-host",
                "127.0.0.1",
                "--bootstrap-contact-points",
                "127.0.0.1:7626,127.0.0.1:7627"));
    assertThat(listed.selfNotListedWarning(7627)).isEmpty();
    assertThat(listed.selfNotListedWarning(7628)).isPresent();
  }

  @Test
  void theServeHelpListsTheNewFlags() {
    assertThat(main.help("serve"))
        .contains(
            "--management-port",
            "--management-host",
            "--bootstrap-contact-points",
            "--bootstrap-required-contact-points");
  }

  @Test
  void contactPointsAreParsedAsHostAndPort() {
    assertThat(List.of("h:1", "10.0.0.1:65535", "[fe80::1]:7626"))
        .map(ManagementSettings::parseContactPoint)
        .extracting(Object::toString)
        .containsExactly("h:1", "10.0.0.1:65535", "[fe80::1]:7626");
  }
}
