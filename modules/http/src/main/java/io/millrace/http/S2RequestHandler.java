package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.LocationService;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamService;
import io.millrace.core.auth.Principal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import scala.concurrent.duration.FiniteDuration;

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
  private final Supplier<EdgeHealth> health;
  private final BodyBudget budget;
  private final LocationEndpoints locations;
  private final long requestTimeoutMillis;
  private final AuthGate auth;
  private final AccessTokenEndpoints accessTokens;
  private final Materializer materializer;
  private final MetricsEndpoints metrics;
  private final Supplier<String> prometheus;
  private final HttpMetrics httpMetrics;

  /**
   * @param tokens authenticates bearer tokens and serves the access token endpoints; null: auth off
   *     (every request acts as the root token)
   */
  S2RequestHandler(
      EdgeSettings settings,
      BasinService basins,
      StreamService streams,
      LocationService locations,
      RecordService records,
      AccessTokenService tokens,
      StreamingSessions sessions,
      Supplier<EdgeHealth> health,
      BodyBudget budget,
      Materializer materializer,
      EdgeExtras extras,
      HttpMetrics httpMetrics) {
    this.httpMetrics = httpMetrics;
    this.metrics =
        extras.metrics() == null
            ? null
            : new MetricsEndpoints(extras.metrics(), java.time.Clock.systemUTC());
    this.prometheus = extras.prometheus();
    this.auth = new AuthGate(tokens);
    this.accessTokens = new AccessTokenEndpoints(tokens);
    this.materializer = materializer;
    this.bodies = new Bodies(settings, materializer);
    this.cors = new Cors(settings.cors(), settings.corsCredentialOrigins());
    this.compression = new ResponseCompression(settings.compressionMinBytes());
    this.control = new ControlPlaneEndpoints(basins, streams);
    this.data = new RecordEndpoints(records, sessions);
    this.health = health;
    this.budget = budget;
    this.locations = new LocationEndpoints(locations);
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
    BodyBudget.Lease lease = budget.lease();
    String route = "unknown";
    try {
      if (cors.isPreflight(request)) {
        route = "preflight";
        result = done(cors.preflight(request));
      } else {
        S2Router.Match match = S2Router.route(request.method().value(), request.getUri().path());
        route = routeName(match);
        result = dispatch(request, match, lease);
      }
    } catch (Throwable t) {
      result = done(ErrorMapper.failure(t, description));
    }
    String counted = route;
    return withDeadline(result)
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
        // The body's bytes count against the budget until the response is ready (or timed out).
        .whenComplete((r, t) -> lease.release())
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
    return "not_found";
  }

  private CompletionStage<HttpResponse> dispatch(
      HttpRequest request, S2Router.Match match, BodyBudget.Lease lease) {
    String path = request.getUri().path();
    if (!auth.guards(path)) {
      return dispatch(request, path, match, Principal.root(), lease);
    }
    // Authenticate, then check the scope, before reading the body; a refused request's body is
    // discarded.
    return auth.authenticate(request)
        .thenApply(
            principal ->
                new Authorized(
                    principal,
                    match instanceof S2Router.Found found
                        ? auth.authorize(principal, found, request)
                        : match))
        .handle(
            (ok, failure) -> {
              if (failure != null) {
                request.discardEntityBytes(materializer);
                return CompletableFuture.<HttpResponse>failedFuture(failure);
              }
              return dispatch(request, path, ok.match(), ok.principal(), lease);
            })
        .thenCompose(f -> f);
  }

  /** An authenticated caller and the route, checked against its scope. */
  private record Authorized(Principal principal, S2Router.Match match) {}

  private CompletionStage<HttpResponse> dispatch(
      HttpRequest request,
      String path,
      S2Router.Match match,
      Principal principal,
      BodyBudget.Lease lease) {
    if (match instanceof S2Router.Found found
        && (found.endpoint() == S2Router.Endpoint.APPEND
            || found.endpoint() == S2Router.Endpoint.READ)
        && RecordEndpoints.isS2sSession(request)) {
      // The session reads the body itself, as a stream.
      return endpoint(found, new Call(request, new byte[0], bodies, principal));
    }
    return bodies
        .read(request, lease)
        .thenCompose(
            body -> {
              if (match instanceof S2Router.Found found) {
                return endpoint(found, new Call(request, body, bodies, principal));
              }
              if (match instanceof S2Router.MethodNotAllowed m) {
                return done(
                    ErrorMapper.methodNotAllowed(request.method().value(), path, m.allowed()));
              }
              if (match instanceof S2Router.BadPath bad) {
                return done(ErrorMapper.error(ErrorCode.BAD_PATH, bad.reason()));
              }
              return done(ErrorMapper.notFound(path));
            });
  }

  private CompletionStage<HttpResponse> endpoint(S2Router.Found found, Call call) {
    String name = found.name();
    return switch (found.endpoint()) {
      case HEALTH -> done(health());
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
      case LIST_ACCESS_TOKENS -> accessTokens.list(call);
      case ISSUE_ACCESS_TOKEN -> accessTokens.issue(call);
      case REVOKE_ACCESS_TOKEN -> accessTokens.revoke(call, name);
      case LIST_LOCATIONS -> locations.list(call);
      case GET_DEFAULT_LOCATION -> locations.getDefault(call);
      case SET_DEFAULT_LOCATION -> locations.setDefault(call);
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

  private HttpResponse health() {
    EdgeHealth h;
    try {
      h = health.get();
    } catch (RuntimeException e) {
      h = EdgeHealth.of(false);
    }
    if (!h.ready()) {
      return ErrorMapper.notReady(h.problems());
    }
    if (h.problems().isEmpty()) {
      return Responses.text(200, "OK");
    }
    return Responses.text(200, "degraded: " + String.join("; ", h.problems()));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  /**
   * Our own deadline, for HTTP/1.1 and HTTP/2 alike (Pekko's request-timeout is a backstop set a
   * little later): a new future that fails with a {@link TimeoutException} when {@code result} is
   * not done in time (the endpoint's own future is never completed here). The timer is Pekko's
   * scheduler, not {@code orTimeout}: arming and cancelling it wakes no thread, where the JDK's
   * delay scheduler is woken to cancel every request's timer (one more context switch per request,
   * docs/benchmarks.md "Where a serial append's CPU goes").
   */
  private CompletableFuture<HttpResponse> withDeadline(CompletionStage<HttpResponse> result) {
    CompletableFuture<HttpResponse> timed = new CompletableFuture<>();
    Cancellable timer;
    try {
      timer =
          materializer.scheduleOnce(
              FiniteDuration.create(requestTimeoutMillis, TimeUnit.MILLISECONDS),
              () ->
                  timed.completeExceptionally(
                      new TimeoutException("no response within " + requestTimeoutMillis + " ms")));
    } catch (RuntimeException e) {
      // The scheduler is shut down (the server is stopping): the JDK's timer instead.
      return result
          .toCompletableFuture()
          .thenApply(r -> r)
          .orTimeout(requestTimeoutMillis, TimeUnit.MILLISECONDS);
    }
    result.whenComplete(
        (response, failure) -> {
          timer.cancel();
          if (failure != null) {
            timed.completeExceptionally(failure);
          } else {
            timed.complete(response);
          }
        });
    return timed;
  }
}
