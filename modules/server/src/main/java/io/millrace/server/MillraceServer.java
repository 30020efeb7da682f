package io.millrace.server;

import com.typesafe.config.Config;
import io.millrace.engine.DataPlane;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.control.ControlPlane;
import io.millrace.http.HttpSettings;
import io.millrace.http.S2HttpServer;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.local.LocalDirectoryObjectStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Millrace node in embedded mode: a one-node Pekko cluster, SQLite metadata and a local
 * directory object store under the data dir, the control plane, the data plane and the S2 HTTP
 * edge. {@link #start} returns once the node is ready; {@link #stop} (or SIGTERM, through Pekko
 * CoordinatedShutdown) unbinds, drains, flushes and closes everything.
 */
public final class MillraceServer {
  private static final Logger log = LoggerFactory.getLogger(MillraceServer.class);

  private final ActorSystem<Guardian.Command> system;
  private final String host;
  private final int port;

  private final boolean tls;

  private MillraceServer(ActorSystem<Guardian.Command> system, String host, int port, boolean tls) {
    this.system = system;
    this.host = host;
    this.port = port;
    this.tls = tls;
  }

  /** The port the HTTP edge listens on (the chosen one when configured as 0). */
  public int port() {
    return port;
  }

  /** The base URL clients should use, {@code http://host:port} ({@code https} with TLS). */
  public String baseUrl() {
    return (tls ? "https://" : "http://") + host + ":" + port;
  }

  /** Shuts the node down gracefully; completes when the actor system has terminated. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system)
        .run(CoordinatedShutdown.unknownReason(), java.util.Optional.empty())
        .thenCompose(d -> system.getWhenTerminated().thenApply(t -> Done.getInstance()));
  }

  /** Completes when the node has stopped, whatever stopped it. */
  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated().thenApply(t -> Done.getInstance());
  }

  /**
   * Starts a node with the given configuration (the server's application.conf with overrides
   * applied) and prints the client exports and the ready line to {@code out}.
   *
   * @throws StartupException with an operator-facing message if anything prevents the start
   */
  public static MillraceServer start(Config config, PrintStream out) {
    ServerSettings settings = ServerSettings.fromConfig(config);
    prepareDataDir(settings.dataDir());
    Duration timeout = settings.startTimeout();
    DataDirLock lock = DataDirLock.acquire(settings.dataDir());

    MetadataStore metadata;
    try {
      metadata = openMetadata(settings.metadataFile());
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
    ObjectStore objects;
    try {
      objects = new LocalDirectoryObjectStore(settings.objectsDir());
    } catch (RuntimeException e) {
      metadata.close();
      lock.close();
      throw new StartupException(
          "Cannot open the object store at " + settings.objectsDir().toAbsolutePath() + ": " + e,
          e);
    }

    CompletableFuture<Void> up = new CompletableFuture<>();
    ActorSystem<Guardian.Command> system;
    try {
      system = ActorSystem.create(Guardian.create(up), "millrace", config);
    } catch (RuntimeException e) {
      objects.close();
      metadata.close();
      lock.close();
      throw new StartupException("Cannot start the actor system: " + e.getMessage(), e);
    }
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "millrace-close-stores",
        () -> {
          objects.close();
          metadata.close();
          lock.close();
          log.info("Closed the metadata store and the object store.");
          return CompletableFuture.completedFuture(Done.getInstance());
        });

    try {
      await(up, timeout, "the one-node cluster to come up");

      Clock clock = Clock.systemUTC();
      ControlPlane control = new ControlPlane(metadata, clock);
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceRequestsDone(),
          "millrace-stop-background-deletion",
          () -> {
            control.close();
            return CompletableFuture.completedFuture(Done.getInstance());
          });

      DataPlane data =
          DataPlane.start(
              system, objects, metadata, control, EngineSettings.fromConfig(config), clock);
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceStop(),
          "millrace-stop-data-plane",
          () -> {
            log.info("Stopping the data plane: flushing and sealing.");
            return data.stop().thenApply(v -> Done.getInstance());
          });
      control.startBackgroundDeletion(data, settings.deletionInterval());

      CompletableFuture<Boolean> ready = new CompletableFuture<>();
      ServerBinding binding;
      try {
        HttpSettings http;
        try {
          http =
              new HttpSettings(
                  settings.host(), settings.port(), settings.tlsCert(), settings.tlsKey());
        } catch (IllegalArgumentException e) {
          throw new StartupException("Invalid TLS settings: " + e.getMessage(), e);
        }
        binding =
            await(
                S2HttpServer.bind(
                        system,
                        http,
                        control,
                        control,
                        data,
                        () -> ready.isDone() && data.isReady())
                    .toCompletableFuture(),
                timeout,
                "the HTTP port to be bound");
      } catch (IllegalArgumentException e) {
        throw new StartupException("Cannot set up TLS: " + e.getMessage(), e);
      } catch (StartupException e) {
        throw new StartupException(
            "Cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(),
            e);
      }
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceUnbind(),
          "millrace-unbind-http",
          () -> binding.unbind().thenApply(x -> Done.getInstance()));
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceRequestsDone(),
          "millrace-drain-http",
          () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));

      waitUntilReady(data, timeout);
      ready.complete(true);
      int port = binding.localAddress().getPort();
      String clientHost = clientHost(settings.host());
      MillraceServer server = new MillraceServer(system, clientHost, port, settings.tls());
      out.println("export S2_ACCOUNT_ENDPOINT=" + server.baseUrl());
      out.println("export S2_BASIN_ENDPOINT=" + server.baseUrl());
      out.println("export S2_ACCESS_TOKEN=ignored");
      out.println(
          "Millrace ready on "
              + (settings.tls() ? "https://" : "http://")
              + settings.host()
              + ":"
              + port);
      out.flush();
      log.info(
          "Millrace is ready on {}:{} with data in {}.",
          settings.host(),
          port,
          settings.dataDir().toAbsolutePath());
      return server;
    } catch (RuntimeException e) {
      try {
        shutdown
            .run(CoordinatedShutdown.unknownReason(), java.util.Optional.empty())
            .toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception ignored) {
        system.terminate();
      }
      if (e instanceof StartupException) {
        throw e;
      }
      throw new StartupException("Millrace could not start: " + e, e);
    }
  }

  /** Creates the data dir and its objects dir and checks that files can be written there. */
  static void prepareDataDir(Path dir) {
    Path abs = dir.toAbsolutePath();
    try {
      Files.createDirectories(abs);
      Files.createDirectories(abs.resolve("objects"));
    } catch (IOException | SecurityException e) {
      throw new StartupException(
          "Cannot create the data directory " + abs + " (" + describe(e) + ").", e);
    }
    Path probe = abs.resolve(".write-check-" + UUID.randomUUID());
    try {
      Files.writeString(probe, "ok");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new StartupException(
          "The data directory " + abs + " is not writable (" + describe(e) + ").", e);
    }
  }

  private static String describe(Exception e) {
    String kind = e.getClass().getSimpleName();
    return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
  }

  private static MetadataStore openMetadata(Path file) {
    try {
      return SqliteMetadataStore.open(file);
    } catch (RuntimeException e) {
      throw new StartupException(
          "Cannot open the metadata database " + file.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  private static void waitUntilReady(DataPlane data, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!data.isReady()) {
      if (System.nanoTime() > deadline) {
        throw new StartupException("The data plane did not become ready within " + timeout + ".");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("Interrupted while waiting for the data plane.", e);
      }
    }
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new StartupException("Timed out after " + timeout + " waiting for " + what + ".", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StartupException(String.valueOf(cause.getMessage()), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while waiting for " + what + ".", e);
    }
  }

  /** The host clients should dial: the bound host, or loopback when bound to every interface. */
  static String clientHost(String host) {
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      return "127.0.0.1";
    }
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
