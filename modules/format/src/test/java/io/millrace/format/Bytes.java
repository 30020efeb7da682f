package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Byte surgery for corruption and compatibility tests. */
final class Bytes {
  private Bytes() {}

  static byte[] flip(byte[] bytes, int at) {
    byte[] copy = bytes.clone();
    copy[at] ^= 0x01;
    return copy;
  }

  static byte[] slice(byte[] bytes, long from, long length) {
    return Arrays.copyOfRange(bytes, (int) from, (int) (from + length));
  }

  static void putU16(byte[] bytes, int at, int value) {
    ByteBuffer.wrap(bytes).putShort(at, (short) value);
  }

  /** Rewrites the CRC32C stored at {@code crcAt} to cover {@code [from, crcAt)}. */
  static void fixCrc(byte[] bytes, int from, int crcAt) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, crcAt - from);
    ByteBuffer.wrap(bytes).putInt(crcAt, (int) crc.getValue());
  }

  /** {@code bytes} with {@code extra} inserted at {@code at}. */
  static byte[] insert(byte[] bytes, int at, byte[] extra) {
    byte[] out = new byte[bytes.length + extra.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(extra, 0, out, at, extra.length);
    System.arraycopy(bytes, at, out, at + extra.length, bytes.length - at);
    return out;
  }

  static void putI32(byte[] bytes, int at, int value) {
    ByteBuffer.wrap(bytes).putInt(at, value);
  }

  static long getI64(byte[] bytes, int at) {
    return ByteBuffer.wrap(bytes).getLong(at);
  }

  static void putI64(byte[] bytes, int at, long value) {
    ByteBuffer.wrap(bytes).putLong(at, value);
  }

  static int headerLength(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getInt(8);
  }

  /**
   * The object (a segment or WAL object whose trailer is {@code trailerBytes} long) as a writer of
   * {@code version} promising {@code minCompatible} would stamp it, in header and trailer.
   */
  static byte[] withVersions(byte[] object, int trailerBytes, int version, int minCompatible) {
    byte[] b = object.clone();
    int h = headerLength(b);
    putU16(b, ObjectFraming.VERSION_OFFSET, version);
    putU16(b, ObjectFraming.MIN_COMPATIBLE_VERSION_OFFSET, minCompatible);
    fixCrc(b, 0, h - ObjectFraming.CHECKSUM_LENGTH);
    int t = b.length - trailerBytes;
    putU16(b, t + ObjectFraming.TRAILER_VERSION_OFFSET, version);
    putU16(b, t + ObjectFraming.TRAILER_MIN_COMPATIBLE_VERSION_OFFSET, minCompatible);
    fixCrc(b, t, t + trailerBytes - ObjectFraming.TRAILER_END_LENGTH);
    return b;
  }

  /**
   * Asserts that {@code decode} fails as corrupt, with a message containing every one of {@code
   * parts}.
   */
  static void assertCorrupt(ThrowingCallable decode, String... parts) {
    AbstractThrowableAssert<?, ? extends Throwable> thrown =
        assertThatThrownBy(decode).isInstanceOf(CorruptObjectException.class);
    for (String part : parts) {
      thrown.hasMessageContaining(part);
    }
  }

  /** Asserts that {@code decode} rejects the bytes as corrupt with any one byte flipped. */
  static void assertEveryFlipIsCorrupt(byte[] bytes, Consumer<byte[]> decode) {
    assertEveryFlipIsCorrupt(bytes, 0, bytes.length, decode);
  }

  /**
   * Asserts that {@code decode} rejects the bytes as corrupt with any one byte of [from, to)
   * flipped.
   */
  static void assertEveryFlipIsCorrupt(byte[] bytes, long from, long to, Consumer<byte[]> decode) {
    for (long at = from; at < to; at++) {
      byte[] corrupt = flip(bytes, (int) at);
      assertThatThrownBy(() -> decode.accept(corrupt))
          .as("flipped byte %d of %d", at, bytes.length)
          .isInstanceOf(CorruptObjectException.class);
    }
  }

  /** Asserts that {@code decode} rejects every proper prefix of the bytes as corrupt. */
  static void assertEveryTruncationIsCorrupt(byte[] bytes, Consumer<byte[]> decode) {
    for (int n = 0; n < bytes.length; n++) {
      byte[] cut = Arrays.copyOf(bytes, n);
      assertThatThrownBy(() -> decode.accept(cut))
          .as("truncated to %d of %d bytes", n, bytes.length)
          .isInstanceOf(CorruptObjectException.class);
    }
  }
}
