package io.millrace.server;

import com.typesafe.config.Config;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.millrace.engine.DataPlane;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.TimedMetadataStore;
import io.millrace.engine.control.AccessTokenControl;
import io.millrace.engine.control.ControlPlane;
import io.millrace.engine.control.LocationSettings;
import io.millrace.engine.lifecycle.LifecycleSettings;
import io.millrace.engine.lifecycle.LifecycleSweeper;
import io.millrace.engine.metering.MeteredControlPlane;
import io.millrace.engine.metering.MeteringFlusher;
import io.millrace.engine.metering.MeteringSettings;
import io.millrace.engine.metering.MetricsQueries;
import io.millrace.engine.metering.StorageSampler;
import io.millrace.engine.metering.UsageAggregator;
import io.millrace.http.EdgeExtras;
import io.millrace.http.HttpSettings;
import io.millrace.http.S2HttpServer;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
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
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Millrace node: a Pekko cluster member (a one-node cluster in embedded mode, or joined
 * through seed nodes or by cluster bootstrap), its management port when configured, its metadata
 * store (SQLite under the data dir, or Cassandra) and object store (a local directory under the
 * data dir, or an S3 bucket), the control plane, the data plane and the S2 HTTP edge. {@link
 * #start} returns once the node is ready; {@link #stop} (or SIGTERM, through Pekko
 * CoordinatedShutdown) unbinds, drains, flushes and closes everything.
 */
public final class MillraceServer {
  private static final Logger log = LoggerFactory.getLogger(MillraceServer.class);

  private final ActorSystem<Guardian.Command> system;
  private final String host;
  private final int port;

  private final boolean tls;
  private final int managementPort;
  private int grpcPort = -1;
  private final String accessToken;

  private MillraceServer(
      ActorSystem<Guardian.Command> system,
      String host,
      int port,
      boolean tls,
      int managementPort,
      String accessToken) {
    this.system = system;
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.managementPort = managementPort;
    this.accessToken = accessToken;
  }

  /**
   * The token clients should send, as printed in the {@code S2_ACCESS_TOKEN} export: the root
   * token, or {@code ignored} when authentication is off.
   */
  public String accessToken() {
    return accessToken;
  }

  /** The gRPC port (the chosen one when configured as 0), or -1 when gRPC is off. */
  public int grpcPort() {
    return grpcPort;
  }

  /** The management port (the chosen one when configured as 0), or -1 when it is off. */
  public int managementPort() {
    return managementPort;
  }

  /** This node's readiness, as {@code GET /health} and {@code /health/ready} report it. */
  public Readiness readiness() {
    return NodeStatus.get(system).readiness();
  }

  /** The port the HTTP edge listens on (the chosen one when configured as 0). */
  public int port() {
    return port;
  }

  /** The base URL clients should use, {@code http://host:port} ({@code https} with TLS). */
  public String baseUrl() {
    return (tls ? "https://" : "http://") + host + ":" + port;
  }

  /**
   * The gRPC endpoint the {@code millrace} client commands should use ({@code http://host:port},
   * {@code https} with TLS), or null when gRPC is off.
   */
  public String grpcUrl() {
    return grpcPort < 0 ? null : (tls ? "https://" : "http://") + host + ":" + grpcPort;
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
  public static MillraceServer start(Config baseConfig, PrintStream out) {
    ServerSettings settings = ServerSettings.fromConfig(baseConfig);
    AuthSettings auth = AuthSettings.fromConfig(baseConfig);
    ManagementSettings management = ManagementSettings.fromConfig(baseConfig);
    java.util.Optional<String> usage = ManagementSettings.usageError(baseConfig);
    if (usage.isPresent()) {
      throw new StartupException(usage.get());
    }
    Config config = management.pekkoConfig().withFallback(baseConfig);
    Duration timeout = settings.startTimeout();
    DataDirLock lock = null;
    if (settings.usesDataDir()) {
      prepareDataDir(settings.dataDir());
      lock = DataDirLock.acquire(settings.dataDir());
    }
    final DataDirLock heldLock = lock;
    Runnable releaseLock =
        () -> {
          if (heldLock != null) {
            heldLock.close();
          }
        };

    RootToken.Resolved root;
    try {
      root = auth.enabled() ? RootToken.resolve(auth, settings) : null;
    } catch (RuntimeException e) {
      releaseLock.run();
      throw e;
    }

    LocationSettings locations;
    try {
      locations = locationSettings(config);
    } catch (StartupException e) {
      releaseLock.run();
      throw e;
    }

    Stores stores;
    try {
      stores = Stores.open(settings, config);
    } catch (RuntimeException e) {
      releaseLock.run();
      throw e;
    }
    ObjectStore objects = stores.objects;
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MetadataStore metadata = TimedMetadataStore.wrap(stores.metadata, registry);
    Guardian.JoinMode joinMode =
        management.bootstrap()
            ? Guardian.JoinMode.BOOTSTRAP
            : config.getStringList("pekko.cluster.seed-nodes").isEmpty()
                ? Guardian.JoinMode.SELF
                : Guardian.JoinMode.SEED_NODES;

    CompletableFuture<Void> up = new CompletableFuture<>();
    ActorSystem<Guardian.Command> system;
    try {
      system = ActorSystem.create(Guardian.create(up, joinMode), "millrace", config);
    } catch (RuntimeException e) {
      stores.close();
      releaseLock.run();
      throw new StartupException("Cannot start the actor system: " + e.getMessage(), e);
    }
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "millrace-close-stores",
        () -> {
          stores.close();
          releaseLock.run();
          log.info("Closed the metadata store and the object store.");
          return CompletableFuture.completedFuture(Done.getInstance());
        });

    NodeStatus status = NodeStatus.get(system);
    status.bindTo(registry);

    try {
      int managementPort = -1;
      if (management.enabled()) {
        managementPort = startManagement(system, management, timeout);
      }
      if (management.bootstrap()) {
        ClusterBootstrap.get(system).start();
      }
      await(
          up,
          timeout,
          switch (joinMode) {
            case SELF -> "the one-node cluster to come up";
            case SEED_NODES -> "this node to join the cluster as Up";
            case BOOTSTRAP ->
                "cluster bootstrap to form or join the cluster (contact points "
                    + management.contactPoints()
                    + ")";
          });

      Clock clock = Clock.systemUTC();
      ControlPlane control = new ControlPlane(metadata, clock, locations);
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceRequestsDone(),
          "millrace-stop-background-deletion",
          () -> {
            control.close();
            return CompletableFuture.completedFuture(Done.getInstance());
          });

      MeteringSettings meteringSettings = MeteringSettings.fromConfig(config);
      UsageAggregator meteringCounters = new UsageAggregator(clock, UUID.randomUUID().toString());
      MeteredControlPlane meteredControl =
          new MeteredControlPlane(control, control, meteringCounters);
      MeteringFlusher meteringFlusher = new MeteringFlusher(meteringCounters, metadata, clock);
      StorageSampler storageSampler = new StorageSampler(metadata, clock);
      shutdown.addTask(
          CoordinatedShutdown.PhaseBeforeClusterShutdown(),
          "millrace-flush-metering",
          () -> {
            storageSampler.close();
            meteringFlusher.stop(Duration.ofSeconds(5));
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      // The node hosts no shard until its ports are bound and its channels ready (joinSharding
      // below): the coordinator must not move streams to a node that cannot answer yet.
      DataPlane data =
          DataPlane.startWithoutShards(
              system,
              objects,
              metadata,
              control,
              EngineSettings.fromConfig(config),
              clock,
              meteringCounters,
              registry);
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceStop(),
          "millrace-stop-data-plane",
          () -> {
            log.info("Stopping the data plane: flushing and sealing.");
            return data.stop().thenApply(v -> Done.getInstance());
          });
      control.startBackgroundDeletion(data, settings.deletionInterval());
      meteringFlusher.start(meteringSettings.flushInterval());
      Cluster cluster = Cluster.get(system);
      storageSampler.start(
          meteringSettings.storageSampleInterval(),
          () -> cluster.selfMember().address().equals(cluster.state().getLeader()));
      LifecycleSweeper.startFor(
          system, objects, metadata, data, control, clock, LifecycleSettings.fromConfig(config));
      AccessTokenControl tokens = null;
      if (root != null) {
        tokens = new AccessTokenControl(metadata, clock, root.token(), auth.cacheTtl());
        log.info(
            "Authentication is on: the root token comes from {}; verified access tokens are"
                + " trusted for {}.",
            root.source(),
            auth.cacheTtl());
      } else {
        log.warn(
            "Authentication is off (--auth off): any or no bearer token is accepted. For local"
                + " development only.");
      }
      status.dataPlane(data);
      DiskWatch.of(settings, config).ifPresent(status::watchDisk);

      watchStores(system, stores, settings.healthCheckInterval(), status.storesHealthy());
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
                S2HttpServer.bindWithHealth(
                        system,
                        http,
                        meteredControl,
                        meteredControl,
                        control,
                        data,
                        tokens,
                        status::edgeHealth,
                        new EdgeExtras(new MetricsQueries(metadata), status::metricsText, registry))
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

      int grpcPort =
          GrpcEdge.start(
              system, config, settings, meteredControl, meteredControl, data, tokens, timeout);

      waitUntilReady(data, timeout);
      data.joinSharding();
      log.info("This node hosts stream shards from now on (its ports are bound).");
      status.started();
      int port = binding.localAddress().getPort();
      String clientHost = clientHost(settings.host());
      MillraceServer server =
          new MillraceServer(
              system,
              clientHost,
              port,
              settings.tls(),
              managementPort,
              root == null ? "ignored" : root.token());
      out.println("export S2_ACCOUNT_ENDPOINT=" + server.baseUrl());
      out.println("export S2_BASIN_ENDPOINT=" + server.baseUrl());
      out.println("export S2_ACCESS_TOKEN=" + server.accessToken());
      server.grpcPort = grpcPort;
      if (grpcPort >= 0) {
        // the `millrace` client commands speak gRPC and prefer this over the S2_* (REST) endpoints
        out.println("export MILLRACE_GRPC_ENDPOINT=" + server.grpcUrl());
        out.println("Millrace gRPC (s2.v1alpha) on " + clientHost + ":" + grpcPort);
      }
      out.println(
          "Millrace ready on "
              + (settings.tls() ? "https://" : "http://")
              + settings.host()
              + ":"
              + port);
      out.flush();
      log.info(
          "Millrace node {} is ready on {}:{} ({} object store, {} metadata{}).",
          settings.nodeName().isEmpty()
              ? Cluster.get(system).selfMember().address()
              : settings.nodeName(),
          settings.host(),
          port,
          settings.objectStore().name().toLowerCase(java.util.Locale.ROOT),
          settings.metadata().name().toLowerCase(java.util.Locale.ROOT),
          settings.usesDataDir() ? ", data in " + settings.dataDir().toAbsolutePath() : "");
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

  /**
   * Binds the management port (Pekko Management: cluster, health and metrics routes) and stops it
   * last at shutdown, so that {@code /health/ready} answers 503 while the node drains. Returns the
   * bound port.
   */
  private static int startManagement(
      ActorSystem<?> system, ManagementSettings management, Duration timeout) {
    PekkoManagement pekkoManagement = PekkoManagement.get(system);
    Uri uri;
    try {
      uri =
          await(
              pekkoManagement.start().toCompletableFuture(),
              timeout,
              "the management port to be bound");
    } catch (StartupException e) {
      throw new StartupException(
          "Cannot listen on the management port "
              + management.host()
              + ":"
              + management.port()
              + ": "
              + e.getMessage(),
          e);
    }
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "millrace-stop-management",
            () -> pekkoManagement.stop());
    log.info("Management routes (/cluster/members, /health/ready, /metrics) are on {}.", uri);
    management.selfNotListedWarning(uri.port()).ifPresent(log::warn);
    return uri.port();
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

  /**
   * Re-checks every {@code interval} that both stores answer and keeps {@code healthy} up to date
   * (readiness, GET /health, is false while they do not). Logs each change.
   */
  private static void watchStores(
      ActorSystem<?> system, Stores stores, Duration interval, AtomicBoolean healthy) {
    AtomicBoolean checking = new AtomicBoolean();
    system
        .scheduler()
        .scheduleWithFixedDelay(
            interval,
            interval,
            () -> {
              if (!checking.compareAndSet(false, true)) {
                return;
              }
              stores
                  .healthy(interval.multipliedBy(2))
                  .whenComplete(
                      (ok, t) -> {
                        boolean now = t == null && Boolean.TRUE.equals(ok);
                        boolean before = healthy.getAndSet(now);
                        if (before && !now) {
                          log.warn(
                              "The metadata store or the object store does not answer; this node"
                                  + " reports not ready until they do.");
                        } else if (!before && now) {
                          log.info("The metadata store and the object store answer again.");
                        }
                        checking.set(false);
                      });
            },
            system.executionContext());
  }

  private static void waitUntilReady(DataPlane data, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!data.channelsReady()) {
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

  /** {@code millrace.locations}, or a startup failure naming what is wrong with it. */
  private static LocationSettings locationSettings(Config config) {
    try {
      return LocationSettings.fromConfig(config);
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw new StartupException("Invalid millrace.locations settings: " + e.getMessage(), e);
    }
  }
}
