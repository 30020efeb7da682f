package io.millrace.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.LocationService;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamService;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S2 v1 HTTP edge (spec sections 2 to 8) over the service interfaces of {@code
 * io.millrace.core.api}.
 *
 * <p>Binding: {@code Http.newServerAt(host, port).bind(handler)} with HTTP/2 enabled serves, on one
 * cleartext port, HTTP/1.1 and HTTP/2 with prior knowledge (the connection preface {@code PRI *
 * HTTP/2.0} is detected per connection), which is what the S2 SDKs use for {@code http://}
 * endpoints. With a certificate and key in {@link HttpSettings} the port serves TLS, offering ALPN
 * h2 and http/1.1. Verified for Pekko HTTP 1.3.0 by {@code TransportTest} with Pekko's own
 * prior-knowledge client. Pekko HTTP keeps {@code %2F} encoded in {@code Uri.path()} and the router
 * splits the path before decoding, so a stream name containing {@code /} arrives as one segment;
 * Pekko does collapse {@code .} and {@code ..} segments (also percent-encoded ones) before the
 * handler sees them. See the module README.
 *
 * <p>Settings: {@code millrace.http.*} in this module's {@code reference.conf}.
 */
public final class S2HttpServer {
  private static final Logger log = LoggerFactory.getLogger(S2HttpServer.class);

  private S2HttpServer() {}

  /**
   * Binds the edge with the {@link EdgeSettings} of the system's config, with auth off and no
   * locations (they answer 501).
   *
   * @param ready answers {@code GET /health} (200 {@code OK} when true, else 503)
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system,
      HttpSettings settings,
      BasinService basins,
      StreamService streams,
      RecordService records,
      Supplier<Boolean> ready) {
    return bind(system, settings, basins, streams, null, records, null, ready);
  }

  /**
   * Binds the edge with the {@link EdgeSettings} of the system's config.
   *
   * @param locations serves the locations endpoints (null: they answer 501)
   * @param tokens authenticates bearer tokens (null: auth off, any or no bearer token is accepted)
   * @param ready answers {@code GET /health} (200 {@code OK} when true, else 503)
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system,
      HttpSettings settings,
      BasinService basins,
      StreamService streams,
      LocationService locations,
      RecordService records,
      AccessTokenService tokens,
      Supplier<Boolean> ready) {
    return bindWithHealth(
        system,
        settings,
        basins,
        streams,
        locations,
        records,
        tokens,
        () -> EdgeHealth.of(ready.get()));
  }

  /**
   * Binds the edge with the {@link EdgeSettings} of the system's config.
   *
   * @param locations serves the locations endpoints (null: they answer 501)
   * @param tokens authenticates bearer tokens (null: auth off)
   * @param health answers {@code GET /health} (see {@link EdgeHealth})
   */
  public static CompletionStage<ServerBinding> bindWithHealth(
      ActorSystem<?> system,
      HttpSettings settings,
      BasinService basins,
      StreamService streams,
      LocationService locations,
      RecordService records,
      AccessTokenService tokens,
      Supplier<EdgeHealth> health) {
    return bind(
        system,
        settings,
        EdgeSettings.fromConfig(system.settings().config()),
        basins,
        streams,
        locations,
        records,
        tokens,
        health);
  }

  /** Binds the edge with explicit {@link EdgeSettings} (null services: see above). */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system,
      HttpSettings settings,
      EdgeSettings edge,
      BasinService basins,
      StreamService streams,
      LocationService locations,
      RecordService records,
      AccessTokenService tokens,
      Supplier<EdgeHealth> health) {
    AdmissionSettings admission = AdmissionSettings.fromConfig(system.settings().config());
    S2RequestHandler handler =
        new S2RequestHandler(
            edge,
            basins,
            streams,
            locations,
            records,
            tokens,
            new StreamingSessions(
                records,
                SessionSettings.fromConfig(system.settings().config()),
                Materializer.matFromSystem(system)),
            health,
            new BodyBudget(admission.bodyBudgetBytes(), admission.retryAfter().toMillis()),
            Materializer.matFromSystem(system));
    long fds = fileDescriptorLimit();
    log.info(
        "Request bodies buffered across all connections are bounded at {} bytes (max heap {}"
            + " bytes); the S2 port accepts {} connections, {} per client IP; the process may open"
            + " {} file descriptors.",
        admission.bodyBudgetBytes(),
        Runtime.getRuntime().maxMemory(),
        admission.maxConnections(),
        admission.maxConnectionsPerIp(),
        fds < 0 ? "an unknown number of" : Long.toString(fds));
    if (fds >= 0 && fds < admission.maxConnections() + 1024L) {
      log.warn(
          "The file-descriptor limit ({}) is below millrace.http.admission.max-connections ({})"
              + " plus room for files and cluster connections; raise it (ulimit -n) or lower the"
              + " setting.",
          fds,
          admission.maxConnections());
    }
    warnIfFramingGuardIsOff(system.settings().config(), edge);
    var builder =
        Http.get(system)
            .newServerAt(settings.host(), settings.port())
            .withSettings(serverSettings(system.settings().config(), edge));
    if (settings.tls()) {
      builder =
          builder.enableHttps(
              ConnectionContext.httpsServer(
                  Tls.serverContext(settings.tlsCert(), settings.tlsKey())));
    }
    return builder
        .bind(handler)
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                log.error(
                    "S2 HTTP edge could not bind {}:{}", settings.host(), settings.port(), failure);
              } else {
                log.info(
                    "S2 HTTP edge listening on {} ({})",
                    binding.localAddress(),
                    settings.tls()
                        ? (edge.enableHttp2() ? "TLS with ALPN h2 and http/1.1" : "TLS, HTTP/1.1")
                        : (edge.enableHttp2() ? "HTTP/1.1 and h2c" : "HTTP/1.1"));
              }
            });
  }

  /** The process's file-descriptor limit, or -1 where the JVM does not tell. */
  static long fileDescriptorLimit() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /** The guard rides on Pekko's HTTP/2-enabled binding path and its connection hook. */
  static void warnIfFramingGuardIsOff(Config root, EdgeSettings edge) {
    String key = "pekko.http.http2-telemetry-class";
    String hook = root.hasPath(key) ? root.getString(key) : "";
    if (!edge.enableHttp2() || !hook.equals(RequestFramingGuard.Telemetry.class.getName())) {
      log.warn(
          "The HTTP/1.1 request framing guard is off ({}): Content-Length values that Pekko HTTP"
              + " misreads are not refused; keep millrace.http.enable-http2 on and {} unset",
          edge.enableHttp2() ? key + " = " + hook : "millrace.http.enable-http2 is off",
          key);
    }
  }

  /**
   * How much later than the edge's own request timeout Pekko's {@code request-timeout} is set: a
   * backstop for a response that never comes (the edge answers 408 itself first).
   */
  static final Duration PEKKO_REQUEST_TIMEOUT_MARGIN = Duration.ofSeconds(5);

  /**
   * Pekko server settings: the system's, overridden with HTTP/2, the timeouts and the URI length of
   * the edge settings, and JSON answers for unparsable requests.
   */
  static ServerSettings serverSettings(Config root, EdgeSettings edge) {
    Config overrides =
        ConfigFactory.parseMap(
            Map.of(
                "pekko.http.server.enable-http2",
                edge.enableHttp2(),
                "pekko.http.server.request-timeout",
                edge.requestTimeout().plus(PEKKO_REQUEST_TIMEOUT_MARGIN).toMillis() + "ms",
                "pekko.http.server.idle-timeout",
                Math.max(edge.idleTimeout().toMillis(), edge.requestTimeout().toMillis() + 10000)
                    + "ms",
                "pekko.http.server.parsing.error-handler",
                JsonParsingErrorHandler.class.getName(),
                "pekko.http.server.parsing.max-uri-length",
                edge.maxUriLength(),
                "pekko.http.server.transparent-head-requests",
                true,
                "pekko.http.server.max-connections",
                AdmissionSettings.fromConfig(root).maxConnections()));
    return ServerSettings.create(overrides.withFallback(root));
  }
}
