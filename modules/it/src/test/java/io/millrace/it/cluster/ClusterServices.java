package io.millrace.it.cluster;

import io.millrace.metadata.cassandra.CassandraMetadataStore;
import io.millrace.metadata.cassandra.CassandraSettings;
import io.millrace.objectstore.s3.S3ObjectStore;
import io.millrace.objectstore.s3.S3Settings;
import io.millrace.testsupport.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Real Cassandra 5.0.9 and S3Proxy 4.1.0 for the cluster tests, started once per test JVM by {@code
 * deploy/services/services.sh} on free ports with fresh work directories under {@code target/}, and
 * stopped when the JVM exits (the script's owner-pid watchdog stops them if the JVM dies without
 * its shutdown hooks). The bucket and the Cassandra schema are created here. S3Proxy keeps its
 * objects in files (the {@code filesystem} backend), so {@link #stopS3Proxy} and {@link
 * #startS3Proxy} restart it on the same port with the same objects.
 */
final class ClusterServices {
  static final String BUCKET = "cluster-it";
  static final String S3_IDENTITY = "millrace";
  static final String S3_CREDENTIAL = "millrace-secret";
  private static final String[] S3PROXY_OPTIONS = {"--backend", "filesystem"};

  private static ClusterServices instance;

  final int cassandraPort;
  final int s3Port;
  private final ServiceProcess s3proxy;
  private final ServiceProcess cassandra;

  private ClusterServices(ServiceProcess cassandra, ServiceProcess s3proxy) {
    this.cassandra = cassandra;
    this.s3proxy = s3proxy;
    this.cassandraPort = cassandra.port();
    this.s3Port = s3proxy.port();
  }

  /** Starts both services on first use and creates the bucket. */
  static synchronized ClusterServices get() {
    if (instance == null) {
      ServiceProcess s3 = ServiceProcess.startNamed("cluster-s3proxy", "s3proxy", S3PROXY_OPTIONS);
      ServiceProcess cassandra = ServiceProcess.startNamed("cluster-cassandra", "cassandra");
      S3Settings settings =
          S3Settings.of(BUCKET)
              .withEndpoint(URI.create("http://127.0.0.1:" + s3.port()))
              .withCredentials(S3_IDENTITY, S3_CREDENTIAL);
      try (S3ObjectStore store = new S3ObjectStore(settings)) {
        store.createBucketIfMissing().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("could not create bucket " + BUCKET + ": " + e, e);
      }
      // The keyspace once, before the nodes start, so they do not all race to create it.
      CassandraMetadataStore.applySchema(CassandraSettings.local(cassandra.port()));
      instance = new ClusterServices(cassandra, s3);
    }
    return instance;
  }

  /**
   * A client of the test bucket for the test itself (to look at the objects the nodes wrote); the
   * caller closes it.
   */
  S3ObjectStore openObjectStore() {
    return new S3ObjectStore(
        S3Settings.of(BUCKET)
            .withEndpoint(URI.create("http://127.0.0.1:" + s3Port))
            .withCredentials(S3_IDENTITY, S3_CREDENTIAL));
  }

  /** A HOCON file with the store settings every node of the test cluster uses. */
  String nodeConfig() {
    return "millrace.objectstore.s3 {\n"
        + "  bucket = \""
        + BUCKET
        + "\"\n"
        + "  endpoint = \"http://127.0.0.1:"
        + s3Port
        + "\"\n"
        + "  path-style = true\n"
        + "  access-key-id = \""
        + S3_IDENTITY
        + "\"\n"
        + "  secret-access-key = \""
        + S3_CREDENTIAL
        + "\"\n"
        + "}\n"
        + "millrace.metadata.cassandra.contact-points = [\"127.0.0.1:"
        + cassandraPort
        + "\"]\n";
  }

  /** Stops S3Proxy (SIGTERM); its objects stay in its work directory. */
  void stopS3Proxy() {
    s3proxy.stop();
  }

  /** Starts S3Proxy again on the same port over the same objects, after {@link #stopS3Proxy}. */
  void startS3Proxy() {
    s3proxy.startAgain(S3PROXY_OPTIONS);
  }

  /** Stops Cassandra (SIGTERM); its data stays in its work directory. */
  void stopCassandra() {
    cassandra.stop();
  }

  /** Starts Cassandra again on the same ports over the same data, after {@link #stopCassandra}. */
  void startCassandra() {
    Path yaml = cassandra.workDir().resolve("conf/cassandra.yaml");
    String storagePort;
    try {
      storagePort =
          Files.readAllLines(yaml).stream()
              .filter(l -> l.startsWith("storage_port:"))
              .map(l -> l.substring("storage_port:".length()).strip())
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no storage_port in " + yaml));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + yaml, e);
    }
    cassandra.startAgain("--storage-port", storagePort);
  }
}
