package io.millrace.format;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

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
}
