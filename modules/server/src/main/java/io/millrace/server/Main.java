package io.millrace.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.millrace.client.cli.ClientCommands;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code millrace} command line. {@code serve} runs a node, on embedded defaults unless flags
 * or a {@code --config} file select S3, Cassandra and seed nodes; {@code schema} applies the
 * Cassandra schema. Every option can also be set by a configuration key (docs/configuration.md).
 */
@Command(
    name = "millrace",
    mixinStandardHelpOptions = true,
    version = "Millrace 0.1.0",
    description = "A durable stream store that speaks the S2 v1 API.",
    subcommands = {Main.Serve.class, Main.Schema.class, Main.Verify.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The JDK property that sizes the common fork-join pool. */
  static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    // With fewer than 3 cores the common pool gets parallelism 1, and CompletableFuture then runs
    // every default-executor async task on a NEW THREAD (ThreadPerTaskExecutor). Scala's
    // CompletionStage adapter behind every Pekko ask runs even its non-async callbacks that way,
    // so on a 2-core machine each entity reply started a thread (17,147 in 447 s of the tailing
    // benchmark, JFR jdk.ThreadStart; docs/benchmarks.md). Two threads make it a pooled executor.
    // Must run before anything loads CompletableFuture; an explicit -D setting wins.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command line; for {@code serve}, returns only once the node has stopped. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    // the client commands (basins, streams, append, read, tail, check-tail, bench): modules/client
    CommandLine cli = ClientCommands.addTo(new CommandLine(new Main(out, err)));
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    return cli.execute(args);
  }

  private final PrintStream out;
  private final PrintStream err;

  public Main() {
    this(System.out, System.err);
  }

  Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public void run() {
    spec.commandLine().usage(out);
  }

  /** Options shared by {@code serve} and {@code schema}: a config file and store selection. */
  static class StoreOptions {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "A HOCON file layered over the defaults (flags still win); any key of"
                + " docs/configuration.md.")
    Path configFile;

    @Option(
        names = "--cassandra-contact-points",
        paramLabel = "HOST:PORT[,...]",
        split = ",",
        description =
            "Cassandra nodes to contact first (millrace.metadata.cassandra.contact-points;"
                + " 127.0.0.1:9042).")
    List<String> cassandraContactPoints;

    void addTo(Map<String, Object> overrides) {
      if (cassandraContactPoints != null) {
        overrides.put("millrace.metadata.cassandra.contact-points", cassandraContactPoints);
      }
    }
  }

  /** {@code millrace serve}: one node, embedded by default, a cluster member when configured. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description =
          "Run a Millrace node: on embedded defaults (SQLite + local directory, one-node cluster),"
              + " or as a cluster member (S3 + Cassandra, seed nodes or cluster bootstrap) when"
              + " flags or --config say so.")
  static final class Serve extends StoreOptions implements Callable<Integer> {
    @CommandLine.ParentCommand Main parent;

    @Option(
        names = "--host",
        description = "Interface to listen on (millrace.server.host, MILLRACE_HOST; 127.0.0.1).")
    String host;

    @Option(
        names = "--port",
        description = "HTTP port, 0 = pick a free one (millrace.server.port, MILLRACE_PORT; 8080).")
    Integer port;

    @Option(
        names = "--tls-cert",
        description =
            "PEM certificate chain; with --tls-key the port serves TLS with ALPN h2 and http/1.1"
                + " (millrace.server.tls-cert, MILLRACE_TLS_CERT).")
    Path tlsCert;

    @Option(
        names = "--tls-key",
        description =
            "PEM PKCS#8 private key (BEGIN PRIVATE KEY) of --tls-cert (millrace.server.tls-key,"
                + " MILLRACE_TLS_KEY).")
    Path tlsKey;

    @Option(
        names = "--data-dir",
        description =
            "Directory for metadata.db and objects/ (millrace.server.data-dir, MILLRACE_DATA_DIR;"
                + " ./data).")
    Path dataDir;

    @Option(
        names = "--object-store",
        paramLabel = "local|s3",
        description =
            "Object store: local directory or S3 bucket (millrace.server.object-store,"
                + " MILLRACE_OBJECT_STORE; local).")
    String objectStore;

    @Option(
        names = "--metadata",
        paramLabel = "sqlite|cassandra",
        description = "Metadata store (millrace.server.metadata, MILLRACE_METADATA; sqlite).")
    String metadata;

    @Option(names = "--s3-bucket", description = "S3 bucket (millrace.objectstore.s3.bucket).")
    String s3Bucket;

    @Option(
        names = "--s3-endpoint",
        paramLabel = "URL",
        description =
            "S3 endpoint override for S3-compatible servers; turns on path-style addressing"
                + " (millrace.objectstore.s3.endpoint).")
    String s3Endpoint;

    @Option(
        names = "--seed-nodes",
        paramLabel = "HOST:PORT[,...]",
        split = ",",
        description =
            "Cluster seed nodes (their --cluster-host:--cluster-port, or full"
                + " pekko://millrace@host:port addresses); without them the node forms a one-node"
                + " cluster (pekko.cluster.seed-nodes).")
    List<String> seedNodes;

    @Option(
        names = "--cluster-host",
        description =
            "Host the cluster transport binds to and advertises"
                + " (pekko.remote.artery.canonical.hostname, MILLRACE_CLUSTER_HOST; 127.0.0.1).")
    String clusterHost;

    @Option(
        names = "--cluster-port",
        description =
            "Cluster transport port, 0 = a free one (pekko.remote.artery.canonical.port,"
                + " MILLRACE_CLUSTER_PORT; 0).")
    Integer clusterPort;

    @Option(
        names = "--management-port",
        paramLabel = "PORT|off",
        description =
            "Management port: /cluster/members, /cluster/shards/<type>, /health/alive,"
                + " /health/ready, /metrics; 0 = a free one (millrace.server.management.port,"
                + " MILLRACE_MANAGEMENT_PORT; off).")
    String managementPort;

    @Option(
        names = "--management-host",
        description =
            "Host the management port binds to and advertises to cluster bootstrap"
                + " (millrace.server.management.host, MILLRACE_MANAGEMENT_HOST; the cluster host).")
    String managementHost;

    @Option(
        names = "--bootstrap-contact-points",
        paramLabel = "HOST:MGMTPORT[,...]",
        split = ",",
        description =
            "Join by Pekko cluster bootstrap with config discovery of these nodes' management"
                + " ports instead of seed nodes; needs --management-port, excludes --seed-nodes"
                + " (millrace.server.bootstrap.contact-points).")
    List<String> bootstrapContactPoints;

    @Option(
        names = "--bootstrap-required-contact-points",
        paramLabel = "N",
        description =
            "Contact points that must answer before a new cluster is formed, 0 = all of them"
                + " (millrace.server.bootstrap.required-contact-points; 0).")
    Integer bootstrapRequiredContactPoints;

    @Option(
        names = "--grpc-port",
        description =
            "Port of the S2 v1alpha gRPC edge, 0 = a free one; off unless set (millrace.grpc.port,"
                + " MILLRACE_GRPC_PORT). TLS like the HTTP port when --tls-cert is set.")
    Integer grpcPort;

    @Option(
        names = "--auth",
        paramLabel = "on|off",
        description =
            "Authentication of every /v1 request by bearer token; off accepts any or no token, for"
                + " local development only (millrace.server.auth.mode, MILLRACE_AUTH; on).")
    String auth;

    @Option(
        names = "--root-token-file",
        paramLabel = "FILE",
        description =
            "A file holding the root token; wins over MILLRACE_ROOT_TOKEN"
                + " (millrace.server.auth.root-token-file, MILLRACE_ROOT_TOKEN_FILE; default: a"
                + " generated token kept in <data-dir>/root-token).")
    Path rootTokenFile;

    @Option(
        names = "--node-name",
        description =
            "A name for this node in logs (millrace.server.node-name, MILLRACE_NODE_NAME).")
    String nodeName;

    @Option(
        names = "--log-format",
        description =
            "Log format: text (default) or json, one JSON object per line (MILLRACE_LOG_FORMAT).")
    String logFormat;

    @Override
    public Integer call() {
      Config config;
      MillraceServer server;
      String format = logFormat != null ? logFormat : LogFormat.fromEnvironment();
      java.util.Optional<String> badFormat = LogFormat.problem(format);
      if (badFormat.isPresent()) {
        parent.err.println("Millrace cannot start: " + badFormat.get());
        return 2;
      }
      if (logFormat != null) {
        LogFormat.apply(logFormat);
      }
      try {
        config = config(overrides(), configFile);
        java.util.Optional<String> usage = ManagementSettings.usageError(config);
        if (usage.isPresent()) {
          parent.err.println("Millrace cannot start: " + usage.get());
          return 2;
        }
        server = MillraceServer.start(config, parent.out);
      } catch (StartupException e) {
        parent.err.println("Millrace could not start: " + e.getMessage());
        return 1;
      }
      server.whenTerminated().toCompletableFuture().join();
      return 0;
    }

    Map<String, Object> overrides() {
      Map<String, Object> o = serverOverrides(host, port, dataDir, tlsCert, tlsKey);
      put(o, "millrace.server.object-store", objectStore);
      put(o, "millrace.server.metadata", metadata);
      put(o, "millrace.server.node-name", nodeName);
      put(o, "millrace.grpc.port", grpcPort);
      put(o, "millrace.server.auth.mode", auth);
      put(
          o,
          "millrace.server.auth.root-token-file",
          rootTokenFile == null ? null : rootTokenFile.toString());
      put(o, "millrace.objectstore.s3.bucket", s3Bucket);
      if (s3Endpoint != null) {
        o.put("millrace.objectstore.s3.endpoint", s3Endpoint);
        o.put("millrace.objectstore.s3.path-style", true);
      }
      put(o, "pekko.remote.artery.canonical.hostname", clusterHost);
      put(o, "pekko.remote.artery.canonical.port", clusterPort);
      if (seedNodes != null) {
        o.put("pekko.cluster.seed-nodes", seedNodeAddresses(seedNodes));
      }
      put(o, "millrace.server.management.port", managementPort);
      put(o, "millrace.server.management.host", managementHost);
      if (bootstrapContactPoints != null) {
        o.put("millrace.server.bootstrap.contact-points", bootstrapContactPoints);
      }
      put(o, "millrace.server.bootstrap.required-contact-points", bootstrapRequiredContactPoints);
      addTo(o);
      return o;
    }
  }

  /** {@code millrace schema}: creates or upgrades the Cassandra keyspace and tables, then exits. */
  @Command(
      name = "schema",
      mixinStandardHelpOptions = true,
      description =
          "Create or upgrade the Cassandra keyspace and tables (millrace.metadata.cassandra.*)"
              + " and exit. Idempotent; `serve --metadata cassandra` does the same at start.")
  static final class Schema extends StoreOptions implements Callable<Integer> {
    @CommandLine.ParentCommand Main parent;

    @Override
    public Integer call() {
      try {
        Map<String, Object> o = new HashMap<>();
        addTo(o);
        io.millrace.metadata.cassandra.CassandraSettings settings =
            Stores.cassandraSettings(config(o, configFile));
        int applied = io.millrace.metadata.cassandra.CassandraMetadataStore.applySchema(settings);
        parent.out.println(
            "Schema of keyspace "
                + settings.keyspace()
                + " at "
                + settings.contactPointsText()
                + " is up to date ("
                + applied
                + " schema file(s) applied now).");
        return 0;
      } catch (StartupException e) {
        parent.err.println("Millrace schema failed: " + e.getMessage());
        return 1;
      } catch (RuntimeException e) {
        parent.err.println("Millrace schema failed: " + Stores.oneLine(e));
        return 1;
      }
    }
  }

  /**
   * {@code millrace verify}: checks every WAL chunk and segment against the metadata and reports;
   * with {@code --repair}, rebuilds damaged segments from the WAL ({@link
   * io.millrace.engine.verify.StoreVerifier}). Exit code 0 when nothing is damaged (or everything
   * damaged was repaired), 3 when damage remains, 1 when the stores cannot be used.
   */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check every WAL chunk and segment against the metadata and report what is damaged;"
              + " with --repair, rebuild damaged segments from the WAL chunks that still hold"
              + " their records. Embedded stores by default (stop the node first: it locks the"
              + " data dir); S3 and Cassandra by flags or --config.")
  static final class Verify extends StoreOptions implements Callable<Integer> {
    @CommandLine.ParentCommand Main parent;

    @Option(
        names = "--data-dir",
        description = "Embedded stores' directory (millrace.server.data-dir; ./data).")
    Path dataDir;

    @Option(
        names = "--object-store",
        paramLabel = "local|s3",
        description = "Object store to check (millrace.server.object-store; local).")
    String objectStore;

    @Option(
        names = "--metadata",
        paramLabel = "sqlite|cassandra",
        description = "Metadata store to check against (millrace.server.metadata; sqlite).")
    String metadata;

    @Option(names = "--s3-bucket", description = "S3 bucket (millrace.objectstore.s3.bucket).")
    String s3Bucket;

    @Option(
        names = "--s3-endpoint",
        description = "S3 API endpoint, path-style (millrace.objectstore.s3.endpoint).")
    String s3Endpoint;

    @Option(
        names = "--repair",
        description =
            "Rebuild damaged or missing segments from the WAL (the damaged object is kept at"
                + " damaged/<key>). WAL damage is only reported: its records are gone.")
    boolean repair;

    @Override
    public Integer call() {
      Map<String, Object> o = serverOverrides(null, null, dataDir, null, null);
      put(o, "millrace.server.object-store", objectStore);
      put(o, "millrace.server.metadata", metadata);
      put(o, "millrace.objectstore.s3.bucket", s3Bucket);
      if (s3Endpoint != null) {
        o.put("millrace.objectstore.s3.endpoint", s3Endpoint);
        o.put("millrace.objectstore.s3.path-style", true);
      }
      addTo(o);
      DataDirLock lock = null;
      try {
        Config config = config(o, configFile);
        ServerSettings settings = ServerSettings.fromConfig(config);
        if (settings.usesDataDir()) {
          lock = DataDirLock.acquire(settings.dataDir());
        }
        try (Stores stores = Stores.open(settings, config)) {
          io.millrace.engine.verify.StoreVerifier.Report report =
              new io.millrace.engine.verify.StoreVerifier(
                      stores.objects,
                      stores.metadata,
                      io.millrace.engine.EngineSettings.fromConfig(config).maxChunkWritesInFlight(),
                      io.millrace.engine.wal.WalHorizon.of(stores.metadata))
                  .run(repair);
          for (io.millrace.engine.verify.StoreVerifier.Finding f : report.findings()) {
            parent.out.println(f);
          }
          long damaged = report.count(io.millrace.engine.verify.StoreVerifier.Severity.DAMAGED);
          parent.out.println(
              "Checked "
                  + report.chunks()
                  + " WAL chunk(s) of "
                  + report.channels()
                  + " channel(s) and "
                  + report.segments()
                  + " segment(s) of "
                  + report.streams()
                  + " stream(s): "
                  + damaged
                  + " damaged, "
                  + report.count(io.millrace.engine.verify.StoreVerifier.Severity.REPAIRED)
                  + " repaired, "
                  + report.count(io.millrace.engine.verify.StoreVerifier.Severity.NOTE)
                  + " note(s).");
          return damaged == 0 ? 0 : 3;
        }
      } catch (StartupException e) {
        parent.err.println("Millrace verify failed: " + e.getMessage());
        return 1;
      } catch (RuntimeException e) {
        parent.err.println("Millrace verify failed: " + Stores.oneLine(e));
        return 1;
      } finally {
        if (lock != null) {
          lock.close();
        }
      }
    }
  }

  private static void put(Map<String, Object> overrides, String key, Object value) {
    if (value != null) {
      overrides.put(key, value);
    }
  }

  /** Seed node addresses: {@code host:port} becomes {@code pekko://millrace@host:port}. */
  static List<String> seedNodeAddresses(List<String> seeds) {
    List<String> out = new ArrayList<>();
    for (String s : seeds) {
      String t = s.trim();
      if (t.isEmpty()) {
        continue;
      }
      out.add(t.startsWith("pekko://") ? t : "pekko://millrace@" + t);
    }
    return out;
  }

  /** The configuration with command-line values (when given) over application.conf and env. */
  static Config config(String host, Integer port, Path dataDir) {
    return config(host, port, dataDir, null, null);
  }

  /** As {@link #config(String, Integer, Path)}, with the TLS files when given. */
  static Config config(String host, Integer port, Path dataDir, Path tlsCert, Path tlsKey) {
    return config(serverOverrides(host, port, dataDir, tlsCert, tlsKey), null);
  }

  /** The overrides of {@code millrace.server}'s address, data dir and TLS files that are given. */
  private static Map<String, Object> serverOverrides(
      String host, Integer port, Path dataDir, Path tlsCert, Path tlsKey) {
    Map<String, Object> o = new HashMap<>();
    put(o, "millrace.server.host", host);
    put(o, "millrace.server.port", port);
    put(o, "millrace.server.data-dir", dataDir == null ? null : dataDir.toString());
    put(o, "millrace.server.tls-cert", tlsCert == null ? null : tlsCert.toString());
    put(o, "millrace.server.tls-key", tlsKey == null ? null : tlsKey.toString());
    return o;
  }

  /**
   * The configuration: {@code overrides} (command-line flags) over {@code configFile} (when given)
   * over JVM system properties, environment variables, application.conf and reference.conf.
   */
  static Config config(Map<String, Object> overrides, Path configFile) {
    ConfigFactory.invalidateCaches();
    Config file = ConfigFactory.empty();
    if (configFile != null) {
      if (!Files.isReadable(configFile)) {
        throw new StartupException(
            "The config file " + configFile.toAbsolutePath() + " cannot be read.");
      }
      try {
        file =
            ConfigFactory.parseFile(
                configFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new StartupException(
            "The config file " + configFile.toAbsolutePath() + " is invalid: " + e.getMessage(), e);
      }
    }
    try {
      return ConfigFactory.parseMap(overrides)
          .withFallback(file)
          .withFallback(ConfigFactory.load())
          .resolve();
    } catch (ConfigException e) {
      throw new StartupException("Invalid configuration: " + e.getMessage(), e);
    }
  }
}
