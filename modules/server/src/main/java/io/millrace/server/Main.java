package io.millrace.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code millrace} command line. {@code serve} runs a node on embedded defaults; every option
 * can also be set by a configuration key or environment variable (docs/configuration.md).
 */
@Command(
    name = "millrace",
    mixinStandardHelpOptions = true,
    version = "Millrace 0.1.0",
    description = "A durable stream store that speaks the S2 v1 API.",
    subcommands = {Main.Serve.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command line; for {@code serve}, returns only once the node has stopped. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new Main(out, err));
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

  /** {@code millrace serve}: one node with a local data directory, until SIGTERM. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run a Millrace node on embedded defaults (SQLite + local directory).")
  static final class Serve implements Callable<Integer> {
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

    @Override
    public Integer call() {
      Config config = config(host, port, dataDir, tlsCert, tlsKey);
      MillraceServer server;
      try {
        server = MillraceServer.start(config, parent.out);
      } catch (StartupException e) {
        parent.err.println("Millrace could not start: " + e.getMessage());
        return 1;
      }
      server.whenTerminated().toCompletableFuture().join();
      return 0;
    }
  }

  /** The configuration with command-line values (when given) over application.conf and env. */
  static Config config(String host, Integer port, Path dataDir) {
    return config(host, port, dataDir, null, null);
  }

  /** As {@link #config(String, Integer, Path)}, with the TLS files when given. */
  static Config config(String host, Integer port, Path dataDir, Path tlsCert, Path tlsKey) {
    Map<String, Object> overrides = new HashMap<>();
    if (tlsCert != null) {
      overrides.put("millrace.server.tls-cert", tlsCert.toString());
    }
    if (tlsKey != null) {
      overrides.put("millrace.server.tls-key", tlsKey.toString());
    }
    if (host != null) {
      overrides.put("millrace.server.host", host);
    }
    if (port != null) {
      overrides.put("millrace.server.port", port);
    }
    if (dataDir != null) {
      overrides.put("millrace.server.data-dir", dataDir.toString());
    }
    ConfigFactory.invalidateCaches();
    return ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load()).resolve();
  }
}
