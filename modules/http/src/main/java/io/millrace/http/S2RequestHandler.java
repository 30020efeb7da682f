package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * The request handler bound by {@link S2HttpServer}: CORS preflight, routing, reading the body,
 * calling the endpoint, mapping failures, compressing and decorating the response. Never fails:
 * every request gets a response.
 */
final class S2RequestHandler implements Function<HttpRequest, CompletionStage<HttpResponse>> {
  private final Bodies bodies;
  private final Cors cors;
  private final ResponseCompression compression;
  private final ControlPlaneEndpoints control;
  private final RecordEndpoints data;
  private final Supplier<Boolean> ready;
  private final long requestTimeoutMillis;
  private final MetricsEndpoints metrics;
  private final Supplier<String> prometheus;
  private final HttpMetrics httpMetrics;

  S2RequestHandler(
      EdgeSettings settings,
      BasinService basins,
      StreamService streams,
      RecordService records,
      StreamingSessions sessions,
      Supplier<Boolean> ready,
      Materializer materializer) {
    this(
        settings,
        basins,
        streams,
        records,
        sessions,
        ready,
        materializer,
        EdgeExtras.NONE,
        new HttpMetrics(EdgeExtras.NONE.registryOrOwn()));
  }

  S2RequestHandler(
      EdgeSettings settings,
      BasinService basins,
      StreamService streams,
      RecordService records,
      StreamingSessions sessions,
      Supplier<Boolean> ready,
      Materializer materializer,
      EdgeExtras extras,
      HttpMetrics httpMetrics) {
    this.httpMetrics = httpMetrics;
    this.metrics =
        extras.metrics() == null
            ? null
            : new MetricsEndpoints(extras.metrics(), java.time.Clock.systemUTC());
    this.prometheus = extras.prometheus();
    this.bodies = new Bodies(settings, materializer);
    this.cors = new Cors(settings.cors(), settings.corsCredentialOrigins());
    this.compression = new ResponseCompression(settings.compressionMinBytes());
    this.control = new ControlPlaneEndpoints(basins, streams);
    this.data = new RecordEndpoints(records, sessions);
    this.ready = ready;
    this.requestTimeoutMillis = settings.requestTimeout().toMillis();
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    String description = request.method().value() + " " + request.getUri().path();
    request
        .getHeader(TimeoutAccess.class)
        .ifPresent(
            h ->
                h.timeoutAccess()
                    .updateHandler(req -> cors.decorate(req, ErrorMapper.requestTimeout())));
    CompletionStage<HttpResponse> result;
    String route = "unknown";
    try {
      if (cors.isPreflight(request)) {
        route = "preflight";
        result = done(cors.preflight(request));
      } else {
        S2Router.Match match = S2Router.route(request.method().value(), request.getUri().path());
        route = routeName(match);
        result = dispatch(request, match);
      }
    } catch (Throwable t) {
      result = done(ErrorMapper.failure(t, description));
    }
    String counted = route;
    // Our own deadline, for HTTP/1.1 and HTTP/2 alike (Pekko's request-timeout is a backstop set
    // a little later). thenApply makes a new future: the endpoint's own is never completed here.
    return result
        .toCompletableFuture()
        .thenApply(r -> r)
        .orTimeout(requestTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle(
            (response, failure) -> {
              if (failure != null) {
                return ErrorMapper.failure(failure, description);
              }
              if (response == null) {
                return ErrorMapper.failure(
                    new IllegalStateException("endpoint produced no response"), description);
              }
              return response;
            })
        .thenApply(
            response -> {
              HttpResponse out;
              try {
                out = cors.decorate(request, compression.apply(request, response));
              } catch (RuntimeException e) {
                out = cors.decorate(request, ErrorMapper.failure(e, description));
              }
              httpMetrics.request(counted, out.status().intValue());
              return out;
            });
  }

  /** The route tag of a match: the endpoint, or what kind of miss it is (a bounded set). */
  private static String routeName(S2Router.Match match) {
    if (match instanceof S2Router.Found f) {
      return f.endpoint().routeName();
    }
    if (match instanceof S2Router.MethodNotAllowed) {
      return "method_not_allowed";
    }
    if (match instanceof S2Router.BadPath) {
      return "bad_path";
    }
    if (match instanceof S2Router.NotImplemented) {
      return "not_implemented";
    }
    return "not_found";
  }

  private CompletionStage<HttpResponse> dispatch(HttpRequest request, S2Router.Match match) {
    String path = request.getUri().path();
    if (match instanceof S2Router.Found found
        && (found.endpoint() == S2Router.Endpoint.APPEND
            || found.endpoint() == S2Router.Endpoint.READ)
        && RecordEndpoints.isS2sSession(request)) {
      // The session reads the body itself, as a stream.
      return endpoint(found, new Call(request, new byte[0], bodies));
    }
    return bodies
        .read(request)
        .thenCompose(
            body -> {
              if (match instanceof S2Router.Found found) {
                return endpoint(found, new Call(request, body, bodies));
              }
              if (match instanceof S2Router.MethodNotAllowed m) {
                return done(
                    ErrorMapper.methodNotAllowed(request.method().value(), path, m.allowed()));
              }
              if (match instanceof S2Router.BadPath bad) {
                return done(ErrorMapper.error(ErrorCode.BAD_PATH, bad.reason()));
              }
              if (match instanceof S2Router.NotImplemented n) {
                return done(ErrorMapper.notImplemented(n.area()));
              }
              return done(ErrorMapper.notFound(path));
            });
  }

  private CompletionStage<HttpResponse> endpoint(S2Router.Found found, Call call) {
    String name = found.name();
    return switch (found.endpoint()) {
      case HEALTH -> done(isReady() ? Responses.text(200, "OK") : ErrorMapper.notReady());
      case LIST_BASINS -> control.listBasins(call);
      case CREATE_BASIN -> control.createBasin(call);
      case GET_BASIN_CONFIG -> control.getBasinConfig(call, name);
      case ENSURE_BASIN -> control.ensureBasin(call, name);
      case RECONFIGURE_BASIN -> control.reconfigureBasin(call, name);
      case DELETE_BASIN -> control.deleteBasin(call, name);
      case LIST_STREAMS -> control.listStreams(call);
      case CREATE_STREAM -> control.createStream(call);
      case GET_STREAM_CONFIG -> control.getStreamConfig(call, name);
      case ENSURE_STREAM -> control.ensureStream(call, name);
      case RECONFIGURE_STREAM -> control.reconfigureStream(call, name);
      case DELETE_STREAM -> control.deleteStream(call, name);
      case APPEND -> data.append(call, name);
      case READ -> data.read(call, name);
      case CHECK_TAIL -> data.checkTail(call, name);
      case PROMETHEUS ->
          done(
              prometheus == null
                  ? ErrorMapper.notFound(call.request().getUri().path())
                  : Responses.bytes(
                      200,
                      org.apache.pekko.http.javadsl.model.ContentTypes.parse(
                          EdgeExtras.PROMETHEUS_CONTENT_TYPE),
                      prometheus.get().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      case ACCOUNT_METRICS ->
          metrics == null ? done(ErrorMapper.notImplemented("metrics")) : metrics.account(call);
      case BASIN_METRICS ->
          metrics == null ? done(ErrorMapper.notImplemented("metrics")) : metrics.basin(call, name);
      case STREAM_METRICS ->
          metrics == null
              ? done(ErrorMapper.notImplemented("metrics"))
              : metrics.stream(call, name, found.stream());
    };
  }

  private boolean isReady() {
    try {
      return Boolean.TRUE.equals(ready.get());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
