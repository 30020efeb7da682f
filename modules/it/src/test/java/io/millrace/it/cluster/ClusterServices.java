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
 * Real Cassandra 5.0.9 and S3Proxy 4.1.0 for the multi-node tests (ClusterIT and NemesisIT's
 * cluster run), started once per test JVM by {@code deploy/services/services.sh} on free ports with
 * fresh work directories under {@code target/}, and stopped when the JVM exits (the script's
 * owner-pid watchdog stops them if the JVM dies without its shutdown hooks). Failsafe runs every IT
 * class in one JVM, one class after the other, so Cassandra starts once for all of them.
 *
 * <p>Each test class keeps its data apart in its own {@link Space}: a bucket and a Cassandra
 * keyspace, created here before its nodes start. A class's nodes see only its own streams, and
 * objects of one class are never swept by the nodes of another. S3Proxy keeps its objects in files
 * (the {@code filesystem} backend), so {@link #stopS3Proxy} and {@link #startS3Proxy} restart it on
 * the same port with the same objects; Cassandra likewise keeps its data directory.
 */
public final class ClusterServices {
  static final String BUCKET = "cluster-it";
  static final String S3_IDENTITY = "millrace";
  static final String S3_CREDENTIAL = "millrace-secret";
  private static final String[] S3PROXY_OPTIONS = {"--backend", "filesystem"};

  /** ClusterIT's bucket and the default keyspace. */
  static final Space CLUSTER_IT = new Space(BUCKET, CassandraSettings.DEFAULT_KEYSPACE);

  private static ClusterServices instance;

  final int cassandraPort;
  final int s3Port;
  private final ServiceProcess s3proxy;
  private final ServiceProcess cassandra;

  /**
   * One test class's bucket and Cassandra keyspace.
   *
   * @param bucket S3 bucket name
   * @param keyspace Cassandra keyspace (lower-case letters, digits and '_')
   */
  public record Space(String bucket, String keyspace) {}

  private ClusterServices(ServiceProcess cassandra, ServiceProcess s3proxy) {
    this.cassandra = cassandra;
    this.s3proxy = s3proxy;
    this.cassandraPort = cassandra.port();
    this.s3Port = s3proxy.port();
  }

  /** Starts both services on first use and prepares ClusterIT's space. */
  static ClusterServices get() {
    ClusterServices services = shared();
    services.prepare(CLUSTER_IT);
    return services;
  }

  /** Both services, started on first use by any test class of this JVM. */
  public static synchronized ClusterServices shared() {
    if (instance == null) {
      ServiceProcess s3 = ServiceProcess.startNamed("cluster-s3proxy", "s3proxy", S3PROXY_OPTIONS);
      ServiceProcess cassandra = ServiceProcess.startNamed("cluster-cassandra", "cassandra");
      instance = new ClusterServices(cassandra, s3);
    }
    return instance;
  }

  /**
   * Creates the space's bucket and applies the schema to its keyspace if they are missing: once,
   * before the nodes start, so they do not all race to create them.
   */
  public void prepare(Space space) {
    try (S3ObjectStore store = openObjectStore(space)) {
      store.createBucketIfMissing().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not create bucket " + space.bucket() + ": " + e, e);
    }
    CassandraMetadataStore.applySchema(
        CassandraSettings.local(cassandraPort).withKeyspace(space.keyspace()));
  }

  /**
   * A client of ClusterIT's bucket for the test itself (to look at the objects the nodes wrote);
   * the caller closes it.
   */
  S3ObjectStore openObjectStore() {
    return openObjectStore(CLUSTER_IT);
  }

  private S3ObjectStore openObjectStore(Space space) {
    return new S3ObjectStore(
        S3Settings.of(space.bucket())
            .withEndpoint(URI.create("http://127.0.0.1:" + s3Port))
            .withCredentials(S3_IDENTITY, S3_CREDENTIAL));
  }

  /** A HOCON file with the store settings every node of ClusterIT uses. */
  String nodeConfig() {
    return nodeConfig(CLUSTER_IT);
  }

  /** HOCON store settings for a node keeping its data in {@code space}. */
  public String nodeConfig(Space space) {
    return "millrace.objectstore.s3 {\n"
        + "  bucket = \""
        + space.bucket()
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
        + "\"]\n"
        + "millrace.metadata.cassandra.keyspace = \""
        + space.keyspace()
        + "\"\n";
  }

  /** Stops S3Proxy (SIGTERM); its objects stay in its work directory. */
  public void stopS3Proxy() {
    s3proxy.stop();
  }

  /** Starts S3Proxy again on the same port over the same objects, after {@link #stopS3Proxy}. */
  public void startS3Proxy() {
    s3proxy.startAgain(S3PROXY_OPTIONS);
  }

  /** Stops Cassandra (SIGTERM); its data stays in its work directory. */
  public void stopCassandra() {
    cassandra.stop();
  }

  /** Starts Cassandra again on the same ports over the same data, after {@link #stopCassandra}. */
  public void startCassandra() {
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
