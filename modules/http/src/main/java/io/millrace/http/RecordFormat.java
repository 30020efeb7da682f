package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How JSON strings map to record bytes (header names, header values, bodies), chosen by the {@code
 * s2-format} request header (spec section 5.1).
 */
enum RecordFormat {
  /** UTF-8 bytes of the string; lossy UTF-8 decoding on the way out. Header value raw or json. */
  RAW,
  /** Standard base64 with padding. Header value base64 or json-binsafe. */
  BASE64;

  static final String HEADER = "s2-format";

  /** Parses the header value; absent means raw; anything unknown is 400 bad_header. */
  static RecordFormat fromHeader(String value) {
    if (value == null) {
      return RAW;
    }
    return switch (value.trim()) {
      case "raw", "json" -> RAW;
      case "base64", "json-binsafe" -> BASE64;
      default ->
          throw new S2Exception(
              ErrorCode.BAD_HEADER,
              "invalid s2-format header '"
                  + value
                  + "': expected raw, json, base64 or json-binsafe");
    };
  }

  /** The bytes a JSON string stands for; bad base64 is 422 invalid. */
  byte[] decode(String s, String what) {
    if (this == RAW) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw S2Exception.invalid(what + " is not valid base64: " + e.getMessage());
    }
  }

  /** The JSON string for some bytes. */
  String encode(byte[] bytes) {
    if (this == RAW) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }
}
