package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.auth.Principal;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * One request being served: the Pekko request, its body as received (still Content-Encoded; empty
 * for streaming sessions, whose body is read by the session) and the request-level extractions
 * every endpoint shares.
 */
final class Call {
  static final String BASIN_HEADER = "s2-basin";
  static final String REQUEST_TOKEN_HEADER = "s2-request-token";

  private final HttpRequest request;
  private final byte[] rawBody;
  private final Bodies bodies;
  private final Principal principal;

  /** A call with auth off: the caller may do everything (the root principal). */
  Call(HttpRequest request, byte[] rawBody, Bodies bodies) {
    this(request, rawBody, bodies, Principal.root());
  }

  Call(HttpRequest request, byte[] rawBody, Bodies bodies, Principal principal) {
    this.request = request;
    this.rawBody = rawBody;
    this.bodies = bodies;
    this.principal = principal;
  }

  /** Who is calling: the authenticated token (the root principal when auth is off). */
  Principal principal() {
    return principal;
  }

  HttpRequest request() {
    return request;
  }

  /** A header's value, or null. */
  String header(String name) {
    return request.getHeader(name).map(HttpHeader::value).orElse(null);
  }

  QueryParams query() {
    return QueryParams.parse(request.getUri().rawQueryString().orElse(null));
  }

  /** The basin of a {@code /v1/streams*} call: the {@code s2-basin} header (400 bad_header). */
  String basinFromHeader() {
    String basin = header(BASIN_HEADER);
    if (basin == null) {
      throw new S2Exception(ErrorCode.BAD_HEADER, "missing s2-basin header");
    }
    String problem = Names.basinNameProblem(basin);
    if (problem != null) {
      throw new S2Exception(ErrorCode.BAD_HEADER, "invalid s2-basin header: " + problem);
    }
    return basin;
  }

  /** The optional {@code s2-request-token}, at most 36 bytes (400 bad_header). */
  String requestToken() {
    String token = header(REQUEST_TOKEN_HEADER);
    if (token != null
        && token.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_REQUEST_TOKEN_BYTES) {
      throw new S2Exception(
          ErrorCode.BAD_HEADER,
          "s2-request-token must be at most " + Limits.MAX_REQUEST_TOKEN_BYTES + " bytes");
    }
    return token;
  }

  static String basinFromPath(String basin) {
    String problem = Names.basinNameProblem(basin);
    if (problem != null) {
      throw new S2Exception(ErrorCode.BAD_PATH, problem);
    }
    return basin;
  }

  static String streamFromPath(String stream) {
    String problem = Names.streamNameProblem(stream);
    if (problem != null) {
      throw new S2Exception(ErrorCode.BAD_PATH, problem);
    }
    return stream;
  }

  boolean hasBody() {
    return rawBody.length > 0;
  }

  /**
   * The decoded body of a JSON request. A non-empty body needs a JSON Content-Type (400 bad_json).
   * Returns null for an empty body when {@code emptyAllowed}.
   */
  byte[] jsonBody(boolean emptyAllowed) {
    if (rawBody.length == 0 && emptyAllowed) {
      return null;
    }
    if (Media.contentKind(request) != Media.Kind.JSON) {
      String ct = Media.contentType(request);
      throw new S2Exception(
          ErrorCode.BAD_JSON,
          "expected Content-Type: application/json, got " + (ct == null ? "none" : ct));
    }
    byte[] decoded = bodies.decode(request, rawBody, ErrorCode.BAD_JSON);
    if (decoded.length == 0 && emptyAllowed) {
      return null;
    }
    return decoded;
  }

  /** The decoded body of a protobuf request. */
  byte[] protobufBody() {
    return bodies.decode(request, rawBody, ErrorCode.BAD_PROTO);
  }

  /** {@code METHOD /path} for logs. */
  String describe() {
    return request.method().value() + " " + request.getUri().path();
  }
}
