package io.millrace.core.api;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.util.Arrays;
import java.util.Base64;

/**
 * The key material of an encrypted stream (spec section 2.6, {@code s2-encryption-key}): exactly 32
 * bytes, sent by the client as base64 with every append, read and session of an encrypted stream.
 * It lives only as long as the request (or session) that carried it: it is never stored, logged or
 * put into a message or an exception. {@link #toString()} never shows it, and {@link #equals} is
 * identity, so that the key cannot leak through a hash or a comparison either.
 */
public final class EncryptionKey {
  /** The key length, for AES-256. */
  public static final int BYTES = 32;

  private final byte[] bytes;

  private EncryptionKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * The key of a 32-byte array (copied).
   *
   * @throws IllegalArgumentException if it is not 32 bytes long
   */
  public static EncryptionKey of(byte[] key) {
    if (key == null || key.length != BYTES) {
      throw new IllegalArgumentException("an encryption key is exactly 32 bytes");
    }
    return new EncryptionKey(key.clone());
  }

  /**
   * Parses the header value: standard base64 (with or without padding; surrounding whitespace is
   * ignored) of exactly 32 bytes. Null when the header is absent.
   *
   * @param header the header's name, for the message
   * @throws S2Exception {@code bad_header} if the value is not base64 or not 32 bytes; the message
   *     never repeats the value
   */
  public static EncryptionKey fromBase64(String value, String header) {
    if (value == null) {
      return null;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(value.strip());
    } catch (IllegalArgumentException e) {
      throw new S2Exception(
          ErrorCode.BAD_HEADER, "invalid " + header + ": not base64 (expected 32 bytes in base64)");
    }
    if (decoded.length != BYTES) {
      int n = decoded.length;
      Arrays.fill(decoded, (byte) 0);
      throw new S2Exception(
          ErrorCode.BAD_HEADER,
          "invalid " + header + ": expected base64 of exactly 32 bytes, got " + n + " bytes");
    }
    return new EncryptionKey(decoded);
  }

  /** A copy of the key bytes, for the cipher; the caller should not keep it. */
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public String toString() {
    return "EncryptionKey[redacted]";
  }
}
