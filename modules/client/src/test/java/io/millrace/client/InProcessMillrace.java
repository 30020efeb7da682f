package io.millrace.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.millrace.engine.DataPlane;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.control.AccessTokenControl;
import io.millrace.engine.control.ControlPlane;
import io.millrace.grpc.GrpcServer;
import io.millrace.grpc.GrpcSettings;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.local.LocalDirectoryObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.awaitility.Awaitility;

/**
 * A real Millrace node in the test JVM, for the SDK's tests: the engine (one-node cluster, control
 * plane, data plane, access tokens with root token {@link #ROOT}) over a local directory object
 * store and a SQLite metadata file in a temp dir, and the S2 v1alpha gRPC edge of modules/grpc on a
 * free port. The same wiring as {@code millrace serve} minus the REST edge, management, metering
 * and background sweeps. {@link #stopGrpc()} / {@link #startGrpc()} drop every gRPC connection and
 * listen again on the same port, with the engine (and so every acknowledged record) untouched.
 */
final class InProcessMillrace implements AutoCloseable {
  static final String ROOT = "in-process-root-token";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final MetadataStore metadata;
  private final LocalDirectoryObjectStore objects;
  private final ActorSystem<Void> system;
  private final ControlPlane control;
  private final DataPlane data;
  private final AccessTokenControl tokens;
  private final int port;
  private ServerBinding binding;

  InProcessMillrace() {
    try {
      dir = Files.createTempDirectory("millrace-client-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    port = freePort();
    Config config =
        ConfigFactory.parseString(
                "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                    + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                    + "pekko.coordinated-shutdown.exit-jvm = off\n"
                    + "pekko.loglevel = WARNING\n"
                    + "millrace.engine.channels.per-storage-class.express = 1\n"
                    + "millrace.engine.channels.per-storage-class.standard = 1\n")
            .withFallback(ConfigFactory.load());
    metadata = SqliteMetadataStore.open(dir.resolve("metadata.db"));
    objects = new LocalDirectoryObjectStore(dir.resolve("objects"));
    system = ActorSystem.create(Behaviors.empty(), "millrace-in-process", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(TIMEOUT)
        .until(() -> cluster.selfMember().status() == MemberStatus.up());
    Clock clock = Clock.systemUTC();
    control = new ControlPlane(metadata, clock);
    data =
        DataPlane.start(
            system, objects, metadata, control, EngineSettings.fromConfig(config), clock);
    tokens = new AccessTokenControl(metadata, clock, ROOT, Duration.ofSeconds(1));
    startGrpc();
  }

  /** The gRPC endpoint, h2c. */
  Endpoint endpoint() {
    return Endpoint.parse("http://127.0.0.1:" + port);
  }

  /** A client of this node with the root token and the given retry policy. */
  MillraceClient client(RetryPolicy retry) {
    return MillraceClient.create(
        ClientConfig.builder(endpoint()).accessToken(ROOT).retry(retry).build());
  }

  /** Binds the gRPC edge on the node's port (again). */
  synchronized void startGrpc() {
    binding =
        GrpcServer.bind(
                system,
                GrpcSettings.defaults("127.0.0.1", port),
                null,
                control,
                control,
                data,
                tokens)
            .toCompletableFuture()
            .orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
            .join();
  }

  /** Unbinds the gRPC edge and cuts every open connection (calls and sessions in flight fail). */
  synchronized void stopGrpc() {
    if (binding != null) {
      binding
          .terminate(Duration.ofMillis(100))
          .toCompletableFuture()
          .orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
          .join();
      binding = null;
    }
  }

  @Override
  public void close() {
    stopGrpc();
    data.stop().toCompletableFuture().orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    control.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    metadata.close();
    objects.close();
    deleteRecursively(dir);
  }

  private static void deleteRecursively(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
