package io.millrace.format;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A bounds-checked big-endian reader over {@code bytes[start, end)}. Every read that would go past
 * the end throws {@link CorruptObjectException} naming {@code what} is being read, so no index
 * exception can escape a decoder.
 */
final class ByteReader {
  private final byte[] bytes;
  private final int end;
  private final String what;
  private int pos;

  ByteReader(byte[] bytes, int start, int end, String what) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new CorruptObjectException(
          what
              + ": range ["
              + start
              + ", "
              + end
              + ") is outside the "
              + bytes.length
              + "-byte object");
    }
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  /** A reader over {@code [from, to)} of the same array, which must lie inside this one. */
  ByteReader slice(int from, int to, String sliceWhat) {
    if (from < pos || to > end || from > to) {
      throw new CorruptObjectException(
          what
              + ": "
              + sliceWhat
              + " ["
              + from
              + ", "
              + to
              + ") does not fit in ["
              + pos
              + ", "
              + end
              + ")");
    }
    return new ByteReader(bytes, from, to, sliceWhat);
  }

  byte[] array() {
    return bytes;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return end - pos;
  }

  /** The message for a corrupt field at offset {@code at}: {@code problem} says how. */
  private String corrupt(String field, int at, String problem) {
    return what + ": " + field + " at offset " + at + " " + problem;
  }

  private void need(int n, String field) {
    if (n < 0 || n > end - pos) {
      throw new CorruptObjectException(
          what
              + ": truncated "
              + field
              + " at offset "
              + pos
              + " (needs "
              + n
              + " bytes, "
              + (end - pos)
              + " left)");
    }
  }

  int u8(String field) {
    need(1, field);
    return bytes[pos++] & 0xFF;
  }

  int u16(String field) {
    need(2, field);
    int v = ((bytes[pos] & 0xFF) << 8) | (bytes[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  int i32(String field) {
    need(4, field);
    int v = getI32(bytes, pos);
    pos += 4;
    return v;
  }

  /** A u32 that must fit a non-negative Java int. */
  int u31(String field) {
    int at = pos;
    int v = i32(field);
    if (v < 0) {
      throw new CorruptObjectException(
          corrupt(field, at, "is out of range (" + (v & 0xFFFFFFFFL) + ")"));
    }
    return v;
  }

  long i64(String field) {
    need(8, field);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (bytes[pos + i] & 0xFF);
    }
    pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 10 bytes, no bits beyond 64. */
  long uvarint(String field) {
    int at = pos;
    long v = 0;
    for (int i = 0; i < 10; i++) {
      need(1, field);
      int b = bytes[pos++] & 0xFF;
      if (i == 9 && b > 1) {
        throw new CorruptObjectException(
            what + ": varint " + field + " at offset " + at + " overflows 64 bits");
      }
      v |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new CorruptObjectException(
        what + ": varint " + field + " at offset " + at + " is longer than 10 bytes");
  }

  /** A varint that must be a length or count no larger than the bytes left. */
  int uvarintLength(String field) {
    int at = pos;
    long v = uvarint(field);
    if (v < 0 || v > remaining()) {
      throw new CorruptObjectException(
          corrupt(
              field,
              at,
              "is " + Long.toUnsignedString(v) + " but only " + remaining() + " bytes are left"));
    }
    return (int) v;
  }

  byte[] bytes(int n, String field) {
    need(n, field);
    byte[] out = Arrays.copyOfRange(bytes, pos, pos + n);
    pos += n;
    return out;
  }

  void skip(int n, String field) {
    need(n, field);
    pos += n;
  }

  /** A u16 length followed by that many UTF-8 bytes. */
  String shortString(String field) {
    int n = u16(field + " length");
    int at = pos;
    byte[] b = bytes(n, field);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new CorruptObjectException(corrupt(field, at, "is not UTF-8"), e);
    }
  }

  /** Reads a CRC32C and compares it with the CRC32C of {@code bytes[from, position)}. */
  void checkCrc32c(int from, String covered) {
    int expected = ByteWriter.crc32c(bytes, from, pos);
    int at = pos;
    int stored = i32(covered + " checksum");
    if (stored != expected) {
      throw new CorruptObjectException(
          what
              + ": "
              + covered
              + " checksum mismatch at offset "
              + at
              + " (stored "
              + Integer.toHexString(stored)
              + ", computed "
              + Integer.toHexString(expected)
              + ")");
    }
  }

  void expectEnd(String field) {
    if (pos != end) {
      throw new CorruptObjectException(
          what + ": " + (end - pos) + " unexpected bytes after " + field + " at offset " + pos);
    }
  }

  static int getI32(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }
}
