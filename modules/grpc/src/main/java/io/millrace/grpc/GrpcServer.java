package io.millrace.grpc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamService;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import s2.v1alpha.AccountServicePowerApiHandlerFactory;
import s2.v1alpha.BasinServicePowerApiHandlerFactory;
import s2.v1alpha.StreamServicePowerApiHandlerFactory;

/**
 * The S2 v1alpha gRPC edge (spec section 9): {@code AccountService}, {@code BasinService} and
 * {@code StreamService} on their own port, over the same core service ports as the REST edge.
 * Cleartext, the port speaks HTTP/2 with prior knowledge (what gRPC clients do for plaintext); with
 * an {@link SSLContext} it speaks TLS with ALPN {@code h2}. Failures become statuses in {@link
 * GrpcErrors} only. See docs/grpc.md and the module README.
 */
public final class GrpcServer {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  private GrpcServer() {}

  /**
   * The request handler of the three services, with every request's messages bounded by {@link
   * MessageSizeGuard}; unknown services and methods get the gRPC "not found" answer of Pekko gRPC.
   *
   * @param tokens the access token service every call is authenticated with (the REST edge's), or
   *     null when authentication is off
   */
  public static Function<HttpRequest, CompletionStage<HttpResponse>> handler(
      ActorSystem<?> system,
      GrpcSettings settings,
      BasinService basins,
      StreamService streams,
      RecordService records,
      AccessTokenService tokens) {
    var errors = GrpcErrors.handler();
    GrpcAuth auth = new GrpcAuth(tokens);
    Materializer mat = Materializer.matFromSystem(system);
    Function<HttpRequest, CompletionStage<HttpResponse>> services =
        ServiceHandler.concatOrNotFound(
            AccountServicePowerApiHandlerFactory.partial(
                new GrpcAccountService(basins, auth),
                s2.v1alpha.AccountService.name,
                mat,
                errors,
                system),
            BasinServicePowerApiHandlerFactory.partial(
                new GrpcBasinService(streams, auth),
                s2.v1alpha.BasinService.name,
                mat,
                errors,
                system),
            StreamServicePowerApiHandlerFactory.partial(
                new GrpcStreamService(records, settings, auth),
                s2.v1alpha.StreamService.name,
                mat,
                errors,
                system));
    MessageSizeGuard guard = new MessageSizeGuard(settings.maxMessageBytes());
    return request -> services.apply(guard.apply(request));
  }

  /**
   * Binds the gRPC edge.
   *
   * @param tls the server's TLS context (the REST listener's), or null for cleartext h2c
   * @param tokens the access token service (the REST edge's), or null when authentication is off
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system,
      GrpcSettings settings,
      SSLContext tls,
      BasinService basins,
      StreamService streams,
      RecordService records,
      AccessTokenService tokens) {
    var builder =
        Http.get(system)
            .newServerAt(settings.host(), settings.port())
            .withSettings(serverSettings(system.settings().config(), settings));
    if (tls != null) {
      builder = builder.enableHttps(ConnectionContext.httpsServer(tls));
    }
    return builder
        .bind(handler(system, settings, basins, streams, records, tokens))
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                log.error(
                    "gRPC edge could not bind {}:{}", settings.host(), settings.port(), failure);
              } else {
                log.info(
                    "gRPC edge (s2.v1alpha) listening on {} ({}, authentication {})",
                    binding.localAddress(),
                    tls != null ? "TLS with ALPN h2" : "h2c with prior knowledge",
                    tokens != null ? "on" : "off");
              }
            });
  }

  /**
   * Pekko server settings of the gRPC port: HTTP/2 on, request bodies unbounded as a whole (each
   * message is bounded by {@link MessageSizeGuard}), PINGs on idle connections.
   */
  static ServerSettings serverSettings(Config root, GrpcSettings settings) {
    Config overrides =
        ConfigFactory.parseMap(
            Map.of(
                "pekko.http.server.enable-http2",
                true,
                "pekko.http.server.parsing.max-content-length",
                "infinite",
                "pekko.http.server.idle-timeout",
                settings.idleTimeout().toMillis() + "ms",
                "pekko.http.server.http2.ping-interval",
                settings.pingInterval().toMillis() + "ms"));
    return ServerSettings.create(overrides.withFallback(root));
  }
}
