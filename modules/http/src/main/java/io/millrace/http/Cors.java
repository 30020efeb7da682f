package io.millrace.http;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * CORS (spec section 2.6). By default any origin may call the API: {@code
 * Access-Control-Allow-Origin: *} without credentials, so a page cannot ride on a user's cookies or
 * HTTP authentication (s2-lite mirrors every origin with credentials; this edge does not, see
 * docs/decisions.md). Origins listed in {@code cors-credential-origins} are mirrored with {@code
 * Access-Control-Allow-Credentials: true} instead, and then only they get CORS headers. Preflights
 * allow the requested method and headers; {@code s2-provision-result}, {@code retry-after-ms} and
 * {@code content-encoding} are readable by browser clients. Each header is sent once.
 */
final class Cors {
  static final String EXPOSED_HEADERS = "s2-provision-result, retry-after-ms, content-encoding";
  private static final String ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
  private static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";

  private final boolean enabled;
  private final List<String> credentialOrigins;

  Cors(boolean enabled, List<String> credentialOrigins) {
    this.enabled = enabled;
    this.credentialOrigins = List.copyOf(credentialOrigins);
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

  /**
   * Adds the CORS answer headers when the request came with an Origin; a response that has them
   * already (a preflight answer) is returned as it is.
   */
  HttpResponse decorate(HttpRequest request, HttpResponse response) {
    if (!enabled || alreadyDecorated(response)) {
      return response;
    }
    Optional<String> origin = value(request, "origin");
    if (origin.isEmpty()) {
      return response;
    }
    HttpResponse r;
    if (credentialOrigins.isEmpty()) {
      r = Responses.withHeader(response, ALLOW_ORIGIN, "*");
    } else if (credentialOrigins.contains(origin.get().trim())) {
      r = Responses.withHeader(response, ALLOW_ORIGIN, origin.get().trim());
      r = Responses.withHeader(r, "Access-Control-Allow-Credentials", "true");
      r = Responses.withHeader(r, "Vary", "Origin");
    } else {
      return Responses.withHeader(response, "Vary", "Origin");
    }
    return Responses.withHeader(r, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
  }

  private static boolean alreadyDecorated(HttpResponse response) {
    for (HttpHeader h : response.getHeaders()) {
      if (h.is("access-control-allow-origin")
          || (h.is("vary") && h.value().toLowerCase(Locale.ROOT).contains("origin"))) {
        return true;
      }
    }
    return false;
  }

  private static Optional<String> value(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }
}
