package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The query string of a request, decoded as {@code application/x-www-form-urlencoded}. Typed
 * getters return null for an absent parameter; a parameter that does not parse, or a known
 * parameter given twice, is 400 {@code bad_query}. Unknown parameters are ignored.
 */
final class QueryParams {
  private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final long U32_MAX = 0xFFFF_FFFFL;

  private final Map<String, String> values;
  private final Map<String, Integer> counts;

  private QueryParams(Map<String, String> values, Map<String, Integer> counts) {
    this.values = values;
    this.counts = counts;
  }

  static QueryParams parse(String rawQuery) {
    Map<String, String> values = new HashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        values.putIfAbsent(name, value);
        counts.merge(name, 1, Integer::sum);
      }
    }
    return new QueryParams(values, counts);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw badQuery("malformed query string: " + e.getMessage());
    }
  }

  /** The raw value, or null when absent. */
  String string(String name) {
    if (counts.getOrDefault(name, 0) > 1) {
      throw badQuery("query parameter '" + name + "' is given more than once");
    }
    return values.get(name);
  }

  /** A u64 value (saturating at {@link Long#MAX_VALUE}), or null when absent. */
  Long u64(String name) {
    String s = string(name);
    if (s == null) {
      return null;
    }
    BigInteger v = unsigned(name, s);
    if (v.compareTo(U64_MAX) > 0) {
      throw badQuery("query parameter '" + name + "' is out of range for a u64: " + s);
    }
    return v.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : v.longValue();
  }

  /** A u32 value, or null when absent. */
  Long u32(String name) {
    String s = string(name);
    if (s == null) {
      return null;
    }
    BigInteger v = unsigned(name, s);
    if (v.compareTo(BigInteger.valueOf(U32_MAX)) > 0) {
      throw badQuery("query parameter '" + name + "' is out of range for a u32: " + s);
    }
    return v.longValue();
  }

  /** {@code true} or {@code false}, or null when absent. */
  Boolean bool(String name) {
    String s = string(name);
    if (s == null) {
      return null;
    }
    return switch (s) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default ->
          throw badQuery("query parameter '" + name + "' must be true or false, got '" + s + "'");
    };
  }

  private static BigInteger unsigned(String name, String s) {
    if (s.isEmpty() || s.length() > 40) {
      throw badQuery(
          "query parameter '" + name + "' must be a non-negative integer, got '" + s + "'");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw badQuery(
            "query parameter '" + name + "' must be a non-negative integer, got '" + s + "'");
      }
    }
    return new BigInteger(s);
  }

  static S2Exception badQuery(String message) {
    return new S2Exception(ErrorCode.BAD_QUERY, message);
  }
}
