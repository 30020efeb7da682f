package io.millrace.http;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Permissive CORS like s2-lite's default (spec section 2.6): the request's Origin is mirrored,
 * credentials are allowed, preflights allow the requested method and headers, and {@code
 * s2-provision-result} is readable by browser clients.
 */
final class Cors {
  static final String EXPOSED_HEADERS = "s2-provision-result, retry-after-ms, content-encoding";
  private static final String ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

  private final boolean enabled;

  Cors(boolean enabled) {
    this.enabled = enabled;
  }

  /** An OPTIONS request with Origin and Access-Control-Request-Method. */
  boolean isPreflight(HttpRequest request) {
    return enabled
        && request.method().equals(HttpMethods.OPTIONS)
        && request.getHeader("origin").isPresent()
        && request.getHeader("access-control-request-method").isPresent();
  }

  HttpResponse preflight(HttpRequest request) {
    String method = value(request, "access-control-request-method").orElse(ALLOWED_METHODS).trim();
    HttpResponse r = Responses.empty(200);
    r = Responses.withHeader(r, "Access-Control-Allow-Methods", method);
    Optional<String> headers = value(request, "access-control-request-headers");
    if (headers.isPresent() && !headers.get().isBlank()) {
      r = Responses.withHeader(r, "Access-Control-Allow-Headers", headers.get());
    }
    r = Responses.withHeader(r, "Access-Control-Max-Age", "86400");
    return decorate(request, r);
  }

  /** Adds the CORS answer headers when the request came with an Origin. */
  HttpResponse decorate(HttpRequest request, HttpResponse response) {
    if (!enabled) {
      return response;
    }
    Optional<String> origin = value(request, "origin");
    if (origin.isEmpty()) {
      return response;
    }
    HttpResponse r = Responses.withHeader(response, "Access-Control-Allow-Origin", origin.get());
    r = Responses.withHeader(r, "Access-Control-Allow-Credentials", "true");
    r = Responses.withHeader(r, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
    return Responses.withHeader(r, "Vary", "Origin");
  }

  private static Optional<String> value(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }
}
