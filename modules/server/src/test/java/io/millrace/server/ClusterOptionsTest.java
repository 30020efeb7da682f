package io.millrace.server;

import static io.millrace.server.MainRun.serveConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster-mode flags, the --config file and the start checks of unreachable stores. */
class ClusterOptionsTest {
  @TempDir Path tmp;

  private final MainRun main = new MainRun();

  @Test
  void theEmbeddedDefaultsAreUnchanged() {
    ServerSettings settings = ServerSettings.fromConfig(serveConfig(null));

    assertThat(settings.objectStore()).isEqualTo(ServerSettings.ObjectStoreKind.LOCAL);
    assertThat(settings.metadata()).isEqualTo(ServerSettings.MetadataKind.SQLITE);
    assertThat(settings.usesDataDir()).isTrue();
    assertThat(serveConfig(null).getStringList("pekko.cluster.seed-nodes")).isEmpty();
  }

  @Test
  void clusterFlagsSelectTheStoresTheSeedNodesAndTheClusterAddress() {
    Config config =
        serveConfig(
            null,
            "--object-store",
            "s3",
            "--metadata",
            "cassandra",
            "--s3-bucket",
            "b1",
            "--s3-endpoint",
            "http://127.0.0.1:9090",
            "--cassandra-contact-points",
            "10.0.0.1:9042,10.0.0.2",
            "--seed-nodes",
            "127.0.0.1:25521,pekko://millrace@127.0.0.1:25522",
            "--cluster-host",
            "127.0.0.2",
            "--cluster-port",
            "25529",
            "--node-name",
            "node-9");
    ServerSettings settings = ServerSettings.fromConfig(config);

    assertThat(settings.objectStore()).isEqualTo(ServerSettings.ObjectStoreKind.S3);
    assertThat(settings.metadata()).isEqualTo(ServerSettings.MetadataKind.CASSANDRA);
    assertThat(settings.usesDataDir()).isFalse();
    assertThat(settings.nodeName()).isEqualTo("node-9");
    assertThat(config.getString("millrace.objectstore.s3.bucket")).isEqualTo("b1");
    assertThat(config.getString("millrace.objectstore.s3.endpoint"))
        .isEqualTo("http://127.0.0.1:9090");
    assertThat(config.getBoolean("millrace.objectstore.s3.path-style")).isTrue();
    assertThat(config.getStringList("millrace.metadata.cassandra.contact-points"))
        .containsExactly("10.0.0.1:9042", "10.0.0.2");
    assertThat(config.getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://millrace@127.0.0.1:25521", "pekko://millrace@127.0.0.1:25522");
    assertThat(config.getString("pekko.remote.artery.canonical.hostname")).isEqualTo("127.0.0.2");
    assertThat(config.getInt("pekko.remote.artery.canonical.port")).isEqualTo(25529);
    assertThat(config.getString("pekko.cluster.downing-provider-class"))
        .isEqualTo("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    assertThat(config.getString("pekko.cluster.split-brain-resolver.active-strategy"))
        .isEqualTo("keep-majority");
  }

  @Test
  void aConfigFileIsLayeredOverTheDefaultsAndFlagsWinOverIt() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("node.conf"),
            "millrace.server { object-store = s3, port = 7000 }\n"
                + "millrace.objectstore.s3.bucket = from-file\n"
                + "millrace.engine.ask-timeout = 3s\n");

    Config config = serveConfig(file, "--port", "7001");
    ServerSettings settings = ServerSettings.fromConfig(config);

    assertThat(settings.objectStore()).isEqualTo(ServerSettings.ObjectStoreKind.S3);
    assertThat(settings.port()).isEqualTo(7001);
    assertThat(config.getString("millrace.objectstore.s3.bucket")).isEqualTo("from-file");
    assertThat(config.getDuration("millrace.engine.ask-timeout")).hasSeconds(3);
    assertThat(settings.metadata()).isEqualTo(ServerSettings.MetadataKind.SQLITE);
  }

  @Test
  void seedNodesGivenAsHostAndPortBecomePekkoAddresses() {
    assertThat(Main.seedNodeAddresses(List.of(" 10.1.2.3:25520 ", "", "pekko://millrace@h:1")))
        .containsExactly("pekko://millrace@10.1.2.3:25520", "pekko://millrace@h:1");
  }

  @Test
  void anUnknownStoreNameStopsTheStartWithTheAllowedValues() {
    assertThat(main.errOfExit(1, "serve", "--object-store", "ftp", "--port", "0"))
        .contains("Millrace could not start")
        .contains("object-store")
        .contains("local, s3");
  }

  @Test
  void aMissingConfigFileStopsTheStartWithItsPath() {
    Path missing = tmp.resolve("missing.conf");

    assertThat(main.errOfExit(1, "serve", "--config", missing.toString()))
        .contains(missing.toString());
  }

  @Test
  void anUnreachableObjectStoreStopsTheStartWithAOneLineMessageInsteadOfHanging() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("s3.conf"),
            "millrace.objectstore.s3 { access-key-id = k, secret-access-key = s,"
                + " request-timeout = 1s, max-attempts = 2, backoff-max = 100ms }\n"
                // A cluster node needs its root token before anything else.
                + "millrace.server.auth.root-token = cluster-options-test-root\n");

    int code =
        main.run(
            "serve",
            "--config",
            file.toString(),
            "--object-store",
            "s3",
            "--metadata",
            "cassandra",
            "--s3-bucket",
            "b",
            "--s3-endpoint",
            "http://127.0.0.1:1",
            "--port",
            "0");

    assertThat(code).isEqualTo(1);
    String message = main.err().strip();
    assertThat(message)
        .startsWith("Millrace could not start: Cannot use the object store")
        .contains("bucket b")
        .contains("http://127.0.0.1:1")
        .doesNotContain("\n");
    assertThat(main.out()).doesNotContain("Millrace ready");
  }

  @Test
  void anUnreachableCassandraStopsTheSchemaCommandWithItsContactPoints() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("cassandra.conf"), "millrace.metadata.cassandra.connect-timeout = 2s\n");

    assertThat(
            main.errOfExit(
                1,
                "schema",
                "--config",
                file.toString(),
                "--cassandra-contact-points",
                "127.0.0.1:1"))
        .contains("Millrace schema failed")
        .contains("127.0.0.1:1");
  }

  @Test
  void helpListsTheClusterOptions() {
    assertThat(main.help("serve"))
        .contains("--object-store", "--metadata", "--seed-nodes", "--cluster-port", "--config");
  }
}
