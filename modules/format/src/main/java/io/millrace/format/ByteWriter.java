package io.millrace.format;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/** A growable big-endian byte buffer for the encoders; not thread-safe. */
final class ByteWriter {
  private byte[] buf;
  private int size;

  ByteWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  int size() {
    return size;
  }

  private void ensure(int extra) {
    long needed = (long) size + extra;
    if (needed > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("object too large: more than 2 GiB");
    }
    if (needed > buf.length) {
      buf =
          Arrays.copyOf(
              buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * buf.length)));
    }
  }

  void u8(int v) {
    ensure(1);
    buf[size++] = (byte) v;
  }

  void u16(int v) {
    if (v < 0 || v > 0xFFFF) {
      throw new IllegalArgumentException("value does not fit in 16 bits: " + v);
    }
    ensure(2);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
  }

  void i32(int v) {
    ensure(4);
    putI32(size, v);
    size += 4;
  }

  void i64(long v) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buf[size++] = (byte) (v >>> shift);
    }
  }

  /** Overwrites 4 bytes at {@code offset} (used to fill in a length once it is known). */
  void putI32(int offset, int v) {
    buf[offset] = (byte) (v >>> 24);
    buf[offset + 1] = (byte) (v >>> 16);
    buf[offset + 2] = (byte) (v >>> 8);
    buf[offset + 3] = (byte) v;
  }

  /** Unsigned LEB128 of all 64 bits (1 to 10 bytes). */
  void uvarint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  void bytes(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, size, b.length);
    size += b.length;
  }

  /** A varint length followed by the bytes. */
  void lengthPrefixed(byte[] b) {
    uvarint(b.length);
    bytes(b);
  }

  /** A u16 length followed by the UTF-8 bytes of {@code s}. */
  void shortString(String s, String what) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException(what + " longer than 65535 UTF-8 bytes");
    }
    u16(b.length);
    bytes(b);
  }

  /** Appends the CRC32C of bytes {@code [from, size)}. */
  void crc32cFrom(int from) {
    i32(crc32c(buf, from, size));
  }

  static int crc32c(byte[] b, int from, int to) {
    CRC32C crc = new CRC32C();
    crc.update(b, from, to - from);
    return (int) crc.getValue();
  }

  /**
   * The bytes written. When the writer was created with exactly the final size (the encoders
   * compute it; see {@link #utf8Length}), this is the buffer itself, not a copy: the writer must
   * not be used afterwards.
   */
  byte[] toByteArray() {
    return size == buf.length ? buf : Arrays.copyOf(buf, size);
  }

  /** The number of bytes of {@code s} in UTF-8, without encoding it. */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3; // other chars, including an unpaired surrogate (encoded as '?': 1 byte, fewer)
      }
    }
    return n;
  }
}
