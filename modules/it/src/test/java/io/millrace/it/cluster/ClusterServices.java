package io.millrace.it.cluster;

import io.millrace.metadata.cassandra.CassandraMetadataStore;
import io.millrace.metadata.cassandra.CassandraSettings;
import io.millrace.objectstore.s3.S3ObjectStore;
import io.millrace.objectstore.s3.S3Settings;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  private static final long START_LIMIT_SECONDS = 200;

  private static ClusterServices instance;

  final int cassandraPort;
  final int s3Port;

  private ClusterServices(int cassandraPort, int s3Port) {
    this.cassandraPort = cassandraPort;
    this.s3Port = s3Port;
  }

  /** Starts both services on first use and creates the bucket. */
  static synchronized ClusterServices get() {
    if (instance == null) {
      int s3 = start("s3proxy", "--backend", "filesystem");
      int cassandra = start("cassandra");
      S3Settings settings =
          S3Settings.of(BUCKET)
              .withEndpoint(URI.create("http://127.0.0.1:" + s3))
              .withCredentials(S3_IDENTITY, S3_CREDENTIAL);
      try (S3ObjectStore store = new S3ObjectStore(settings)) {
        store.createBucketIfMissing().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("could not create bucket " + BUCKET + ": " + e, e);
      }
      // The keyspace once, before the nodes start, so they do not all race to create it.
      CassandraMetadataStore.applySchema(CassandraSettings.local(cassandra));
      instance = new ClusterServices(cassandra, s3);
    }
    return instance;
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
    System.out.println(run(findScript(), "s3proxy", workDir("s3proxy"), "stop", List.of()).strip());
  }

  /** Starts S3Proxy again on the same port over the same objects, after {@link #stopS3Proxy}. */
  void startS3Proxy() {
    System.out.println(
        run(
                findScript(),
                "s3proxy",
                workDir("s3proxy"),
                "start",
                startArgs(s3Port, "--backend", "filesystem"))
            .strip());
  }

  /** Stops Cassandra (SIGTERM); its data stays in its work directory. */
  void stopCassandra() {
    System.out.println(
        run(findScript(), "cassandra", workDir("cassandra"), "stop", List.of()).strip());
  }

  /** Starts Cassandra again on the same ports over the same data, after {@link #stopCassandra}. */
  void startCassandra() {
    Path yaml = workDir("cassandra").resolve("conf/cassandra.yaml");
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
    System.out.println(
        run(
                findScript(),
                "cassandra",
                workDir("cassandra"),
                "start",
                startArgs(cassandraPort, "--storage-port", storagePort))
            .strip());
  }

  private static Path workDir(String service) {
    return Path.of("target", "services", "cluster-" + service + "-" + ProcessHandle.current().pid())
        .toAbsolutePath();
  }

  private static List<String> startArgs(int port, String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                Integer.toString(port),
                "--owner-pid",
                Long.toString(ProcessHandle.current().pid())));
    args.addAll(List.of(options));
    return args;
  }

  private static int start(String service, String... options) {
    Path script = findScript();
    int port = freePort();
    Path workDir = workDir(service);
    List<String> args = startArgs(port, options);
    System.out.println(run(script, service, workDir, "start", args).strip());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    run(script, service, workDir, "stop", List.of());
                  } catch (RuntimeException e) {
                    System.err.println(e.getMessage());
                  }
                },
                "stop-" + service));
    return port;
  }

  private static String run(
      Path script, String service, Path workDir, String action, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), action, service));
    cmd.add("--dir");
    cmd.add(workDir.toString());
    cmd.addAll(args);
    try {
      Files.createDirectories(workDir);
      Path log = workDir.resolveSibling(workDir.getFileName() + "-" + action + ".log");
      Process process =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!process.waitFor(START_LIMIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "services.sh " + action + " " + service + " did not finish in time");
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "services.sh " + action + " " + service + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  private static Path findScript() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("deploy/services/services.sh");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "deploy/services/services.sh not found above " + Path.of("").toAbsolutePath());
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
