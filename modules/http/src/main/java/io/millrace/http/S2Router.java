package io.millrace.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps a method and a path to an endpoint of the S2 v1 API. Paths are split on {@code /} before
 * percent-decoding, so a stream name with {@code %2F} stays one segment.
 */
final class S2Router {
  private S2Router() {}

  /** The endpoints served. */
  enum Endpoint {
    HEALTH,
    LIST_BASINS,
    CREATE_BASIN,
    GET_BASIN_CONFIG,
    ENSURE_BASIN,
    RECONFIGURE_BASIN,
    DELETE_BASIN,
    LIST_STREAMS,
    CREATE_STREAM,
    GET_STREAM_CONFIG,
    ENSURE_STREAM,
    RECONFIGURE_STREAM,
    DELETE_STREAM,
    APPEND,
    READ,
    CHECK_TAIL,
    LIST_ACCESS_TOKENS,
    ISSUE_ACCESS_TOKEN,
    REVOKE_ACCESS_TOKEN,
    LIST_LOCATIONS,
    GET_DEFAULT_LOCATION,
    SET_DEFAULT_LOCATION,
    PROMETHEUS,
    ACCOUNT_METRICS,
    BASIN_METRICS,
    STREAM_METRICS;

    private final String routeName = name().toLowerCase(java.util.Locale.ROOT);

    /** The endpoint as a metrics tag: its name in lower case. */
    String routeName() {
      return routeName;
    }
  }

  /** The result of routing. */
  sealed interface Match {}

  /**
   * An endpoint with its path parameter (basin or stream name, decoded), if any, and for stream
   * metrics the stream name ({@code name} is then the basin).
   */
  record Found(Endpoint endpoint, String name, String stream) implements Match {
    Found(Endpoint endpoint, String name) {
      this(endpoint, name, null);
    }
  }

  record NotFound() implements Match {}

  /** A path that cannot name anything (a segment that is not UTF-8): 400 {@code bad_path}. */
  record BadPath(String reason) implements Match {}

  record MethodNotAllowed(List<String> allowed) implements Match {}

  static Match route(String method, String rawPath) {
    List<String> segments;
    try {
      segments = segments(rawPath);
    } catch (InvalidUtf8Exception e) {
      return new BadPath(e.getMessage());
    } catch (IllegalArgumentException e) {
      return new NotFound();
    }
    if (segments.size() == 1
        && (segments.get(0).equals("health") || segments.get(0).equals("ping"))) {
      return pick(method, List.of("GET"), List.of(Endpoint.HEALTH), null);
    }
    if (segments.size() == 1 && segments.get(0).equals("metrics")) {
      return pick(method, List.of("GET"), List.of(Endpoint.PROMETHEUS), null);
    }
    if (segments.isEmpty() || !segments.get(0).equals("v1") || segments.contains("")) {
      return new NotFound();
    }
    int n = segments.size();
    if (n >= 2) {
      switch (segments.get(1)) {
        case "access-tokens":
          if (n == 2) {
            return pick(
                method,
                COLLECTION,
                List.of(Endpoint.LIST_ACCESS_TOKENS, Endpoint.ISSUE_ACCESS_TOKEN),
                null);
          }
          if (n == 3) {
            return pick(
                method, List.of("DELETE"), List.of(Endpoint.REVOKE_ACCESS_TOKEN), segments.get(2));
          }
          return new NotFound();
        case "metrics":
          return metrics(method, segments);
        case "locations":
          if (n == 2) {
            return pick(method, List.of("GET"), List.of(Endpoint.LIST_LOCATIONS), null);
          }
          if (n == 3 && segments.get(2).equals("default")) {
            return pick(
                method,
                List.of("GET", "PUT"),
                List.of(Endpoint.GET_DEFAULT_LOCATION, Endpoint.SET_DEFAULT_LOCATION),
                null);
          }
          return new NotFound();
        default:
          break;
      }
    }
    if (n >= 2 && segments.get(1).equals("basins")) {
      if (n == 2) {
        return pick(method, COLLECTION, List.of(Endpoint.LIST_BASINS, Endpoint.CREATE_BASIN), null);
      }
      if (n == 3) {
        return pick(
            method,
            RESOURCE,
            List.of(
                Endpoint.GET_BASIN_CONFIG,
                Endpoint.ENSURE_BASIN,
                Endpoint.RECONFIGURE_BASIN,
                Endpoint.DELETE_BASIN),
            segments.get(2));
      }
    }
    if (n >= 2 && segments.get(1).equals("streams")) {
      if (n == 2) {
        return pick(
            method, COLLECTION, List.of(Endpoint.LIST_STREAMS, Endpoint.CREATE_STREAM), null);
      }
      String stream = segments.get(2);
      if (n == 3) {
        return pick(
            method,
            RESOURCE,
            List.of(
                Endpoint.GET_STREAM_CONFIG,
                Endpoint.ENSURE_STREAM,
                Endpoint.RECONFIGURE_STREAM,
                Endpoint.DELETE_STREAM),
            stream);
      }
      if (n == 4 && segments.get(3).equals("records")) {
        return pick(method, COLLECTION, List.of(Endpoint.READ, Endpoint.APPEND), stream);
      }
      if (n == 5 && segments.get(3).equals("records") && segments.get(4).equals("tail")) {
        return pick(method, List.of("GET"), List.of(Endpoint.CHECK_TAIL), stream);
      }
    }
    return new NotFound();
  }

  /** {@code /v1/metrics}, {@code /v1/metrics/{basin}}, {@code /v1/metrics/{basin}/{stream}}. */
  private static Match metrics(String method, List<String> segments) {
    List<String> get = List.of("GET");
    return switch (segments.size()) {
      case 2 -> pick(method, get, List.of(Endpoint.ACCOUNT_METRICS), null);
      case 3 -> pick(method, get, List.of(Endpoint.BASIN_METRICS), segments.get(2));
      case 4 ->
          pick(method, get, List.of(Endpoint.STREAM_METRICS), segments.get(2)) instanceof Found f
              ? new Found(f.endpoint(), f.name(), segments.get(3))
              : new MethodNotAllowed(get);
      default -> new NotFound();
    };
  }

  /** The methods of a collection (list or read, create or append). */
  private static final List<String> COLLECTION = List.of("GET", "POST");

  /** The methods of a basin or stream (get, ensure, reconfigure, delete). */
  private static final List<String> RESOURCE = List.of("GET", "PUT", "PATCH", "DELETE");

  /** The endpoint at the index of {@code method} in {@code methods}, else the methods allowed. */
  private static Match pick(
      String method, List<String> methods, List<Endpoint> endpoints, String name) {
    int i = methods.indexOf(method);
    if (i < 0) {
      return new MethodNotAllowed(methods);
    }
    return new Found(endpoints.get(i), name);
  }

  /**
   * The decoded segments of a path as the client sent it ({@code %2F} inside a segment becomes
   * {@code /} in that segment). The leading slash gives no segment; empty segments are kept.
   */
  static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    if (rawPath == null || rawPath.isEmpty() || rawPath.equals("/")) {
      return out;
    }
    String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
    int start = 0;
    while (true) {
      int slash = p.indexOf('/', start);
      String seg = slash < 0 ? p.substring(start) : p.substring(start, slash);
      out.add(percentDecode(seg));
      if (slash < 0) {
        break;
      }
      start = slash + 1;
    }
    return out;
  }

  /** RFC 3986 percent-decoding as UTF-8 ({@code +} stays {@code +} in a path). */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    int literalStart = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '%') {
        continue;
      }
      byte[] literal = s.substring(literalStart, i).getBytes(StandardCharsets.UTF_8);
      out.write(literal, 0, literal.length);
      if (i + 2 >= s.length()) {
        throw new IllegalArgumentException("truncated percent escape in " + s);
      }
      int hi = Character.digit(s.charAt(i + 1), 16);
      int lo = Character.digit(s.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("bad percent escape in " + s);
      }
      out.write((hi << 4) | lo);
      i += 2;
      literalStart = i + 1;
    }
    byte[] rest = s.substring(literalStart).getBytes(StandardCharsets.UTF_8);
    out.write(rest, 0, rest.length);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidUtf8Exception(s);
    }
  }

  /** A path segment whose percent-escapes do not decode as UTF-8. */
  static final class InvalidUtf8Exception extends IllegalArgumentException {
    InvalidUtf8Exception(String segment) {
      super("path segment '" + segment + "' is not valid UTF-8 once percent-decoded");
    }
  }
}
