package io.millrace.server;

import com.typesafe.config.Config;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamService;
import io.millrace.grpc.GrpcServer;
import io.millrace.grpc.GrpcSettings;
import io.millrace.http.Tls;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Starts the S2 v1alpha gRPC edge when {@code millrace.grpc.port} is set: on its own port (see
 * docs/decisions.md), over the same services as the HTTP edge, with the HTTP listener's TLS
 * certificate when it has one, and with the same access token service (authentication on or off
 * alike); unbound and drained with the HTTP edge at shutdown.
 */
final class GrpcEdge {
  private GrpcEdge() {}

  /** Binds the gRPC port if configured; returns the bound port, or -1 when gRPC is off. */
  static int start(
      ActorSystem<?> system,
      Config config,
      ServerSettings server,
      BasinService basins,
      StreamService streams,
      RecordService records,
      AccessTokenService tokens,
      Duration timeout) {
    Optional<GrpcSettings> configured;
    try {
      configured = GrpcSettings.fromConfig(config, server.host());
    } catch (IllegalArgumentException e) {
      throw new StartupException("Invalid gRPC settings: " + e.getMessage(), e);
    }
    if (configured.isEmpty()) {
      return -1;
    }
    GrpcSettings settings = configured.get();
    ServerBinding binding;
    try {
      binding =
          GrpcServer.bind(
                  system,
                  settings,
                  server.tls() ? Tls.serverContext(server.tlsCert(), server.tlsKey()) : null,
                  basins,
                  streams,
                  records,
                  tokens)
              .toCompletableFuture()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StartupException(
          "Cannot listen for gRPC on "
              + settings.host()
              + ":"
              + settings.port()
              + ": "
              + cause.getMessage(),
          cause);
    }
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "millrace-unbind-grpc",
        () -> binding.unbind().thenApply(x -> Done.getInstance()));
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "millrace-drain-grpc",
        () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
    return binding.localAddress().getPort();
  }
}
