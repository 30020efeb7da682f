package io.millrace.verification;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * 64-bit content hashes of records, so a history holds a long per record instead of its bytes.
 *
 * <p>The writer and the reader of a record must hash it the same way: {@link #of(List, byte[])}
 * over the headers and body works for both sides (a command record is a record with the single
 * header {@code ("", "fence")} or {@code ("", "trim")}); {@link #fence(String)} and {@link
 * #trim(long)} give the same values for command records. Timestamps are not part of the hash.
 *
 * <p>The hash is the first 8 bytes of SHA-256 over a length-prefixed encoding, so two different
 * records collide with probability about 2^-64 per pair.
 */
public final class RecordHash {

  /** One record header: name and value as bytes. */
  public record Header(byte[] name, byte[] value) {

    public static Header of(String name, String value) {
      return new Header(
          name.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }
  }

  private RecordHash() {}

  /** The hash of a record with no headers and this body. */
  public static long ofBody(byte[] body) {
    return of(List.of(), body);
  }

  /** The hash of a record with no headers and this body in UTF-8. */
  public static long ofBody(String body) {
    return ofBody(body.getBytes(StandardCharsets.UTF_8));
  }

  /** The hash of a record with these headers (in order) and this body. */
  public static long of(List<Header> headers, byte[] body) {
    MessageDigest digest = sha256();
    digest.update(intBytes(headers.size()));
    for (Header header : headers) {
      digest.update(intBytes(header.name().length));
      digest.update(header.name());
      digest.update(intBytes(header.value().length));
      digest.update(header.value());
    }
    digest.update(intBytes(body.length));
    digest.update(body);
    return ByteBuffer.wrap(digest.digest()).getLong();
  }

  /** The hash of a {@code fence} command record setting this token. */
  public static long fence(String token) {
    return of(List.of(Header.of("", "fence")), token.getBytes(StandardCharsets.UTF_8));
  }

  /** The hash of a {@code trim} command record with this trim point (8 bytes, big-endian). */
  public static long trim(long trimPoint) {
    return of(List.of(Header.of("", "trim")), ByteBuffer.allocate(8).putLong(trimPoint).array());
  }

  private static byte[] intBytes(int value) {
    return ByteBuffer.allocate(4).putInt(value).array();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
