package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.auth.AccessRequest;
import io.millrace.core.auth.AccessTokenIds;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Authentication and scope checks at the edge: every request under {@code /v1} needs {@code
 * Authorization: Bearer <token>} (401 {@code authn} otherwise); the endpoint's operations ({@link
 * EndpointOperations}) and the basin, stream or token its path and {@code s2-basin} header name
 * must be inside the token's scope (403 {@code permission_denied}). Names in bodies and listings
 * are checked by the endpoints through {@link Call#principal()}. With no token service (auth off),
 * every request is the root principal's. Stream names in paths are qualified with the token's auto
 * prefix here.
 */
final class AuthGate {
  private final AccessTokenService tokens;

  /**
   * @param tokens the token service, or null for auth off
   */
  AuthGate(AccessTokenService tokens) {
    this.tokens = tokens;
  }

  boolean enabled() {
    return tokens != null;
  }

  /** Whether a path needs a token: everything under /v1 while auth is on. */
  boolean guards(String path) {
    return tokens != null && (path.equals("/v1") || path.startsWith("/v1/"));
  }

  /** The caller of a request to a guarded path; fails with 401 authn. */
  CompletionStage<Principal> authenticate(HttpRequest request) {
    String header = request.getHeader("Authorization").map(HttpHeader::value).orElse(null);
    if (header == null) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.AUTHN, "missing Authorization: Bearer access token"));
    }
    String h = header.trim();
    if (h.length() < 7 || !h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.AUTHN, "the Authorization header is not a Bearer token"));
    }
    return tokens.authenticate(h.substring(7).trim());
  }

  /**
   * Checks the endpoint's operations and the names in its path and header against the principal's
   * scope, and returns the match with the stream name qualified by the auto prefix. Names that are
   * invalid are left for the endpoint to refuse (400), which it does before doing anything.
   */
  S2Router.Found authorize(Principal p, S2Router.Found found, HttpRequest request) {
    S2Router.Endpoint e = found.endpoint();
    String basin = null;
    String stream = null;
    String token = null;
    String name = found.name();
    String pathStream = found.stream();
    switch (EndpointOperations.names(e)) {
      case BASIN_PATH -> basin = validBasin(name);
      case BASIN_HEADER -> basin = validBasin(header(request, Call.BASIN_HEADER));
      case STREAM_PATH -> {
        basin = validBasin(header(request, Call.BASIN_HEADER));
        name = p.qualifyStream(name);
        stream = Names.streamNameProblem(name) == null ? name : null;
      }
      case BASIN_AND_STREAM_PATH -> {
        basin = validBasin(name);
        pathStream = pathStream == null ? null : p.qualifyStream(pathStream);
        stream =
            pathStream != null && Names.streamNameProblem(pathStream) == null ? pathStream : null;
      }
      case TOKEN_PATH -> token = AccessTokenIds.problem(name) == null ? name : null;
      case NONE -> {}
    }
    for (Operation op : EndpointOperations.of(e)) {
      p.check(new AccessRequest(op, basin, stream, token));
    }
    return java.util.Objects.equals(name, found.name())
            && java.util.Objects.equals(pathStream, found.stream())
        ? found
        : new S2Router.Found(e, name, pathStream);
  }

  private static String validBasin(String name) {
    return name != null && Names.basinNameProblem(name) == null ? name : null;
  }

  private static String header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value).orElse(null);
  }
}
