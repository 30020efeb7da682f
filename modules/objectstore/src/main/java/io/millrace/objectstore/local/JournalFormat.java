package io.millrace.objectstore.local;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte format of journal files (layout version 2 of the local object store, {@code
 * docs/formats/local-object-store.md}). All integers are big-endian.
 *
 * <pre>
 * file header (32 bytes):
 *   0  8  magic "MRJOURNL"
 *   8  4  journal format version (2; files of version 1 are still read)
 *  12  4  minimum journal format version a reader must support to read this file (2; 1 in v1)
 *  16  8  file sequence number
 *  24  4  reserved, 0
 *  28  4  CRC-32C of bytes 0..27
 *
 * record (12-byte header, then body), from offset 32, back to back:
 *   0  4  version 2: CRC-32C of the file sequence number (8 bytes) followed by bytes 4 .. 12+length
 *         of the record; version 1: CRC-32C of bytes 4 .. 12+length
 *   4  4  length of the body
 *   8  1  type: 1 = put, 2 = delete (tombstone)
 *   9  1  flags, 0
 *  10  2  key length k (UTF-8 bytes)
 *  12  k  key
 *  put:    12+k  length-k  object data
 *  delete: 12+k  8  file sequence number of the deleted put record
 *          20+k  8  offset of the deleted put record in that file
 * </pre>
 *
 * The end of the records of a file is the end of the file or a record header of twelve zero bytes;
 * anything else that does not check out (CRC, length, type) is a torn write. A version-2 file may
 * be a reused one whose bytes after its records are those of its earlier use: the writer ends every
 * write with zero bytes (twelve, or fewer up to the end of the file), and the file sequence number
 * in each record's CRC makes a record of the earlier use invalid in the new one.
 */
final class JournalFormat {

  static final byte[] MAGIC = "MRJOURNL".getBytes(StandardCharsets.US_ASCII);

  /** The version this code writes. */
  static final int VERSION = 2;

  /** The minimum reader version written into files of {@link #VERSION}. */
  static final int MIN_COMPATIBLE_VERSION = 2;

  /** The first version: preallocated with zeros, record CRCs without the file sequence number. */
  static final int VERSION_1 = 1;

  /** Bytes of the end marker each write ends with (a zero record header). */
  static final int END_MARKER = 12;

  static final int FILE_HEADER = 32;
  static final int RECORD_HEADER = 12;
  static final byte PUT = 1;
  static final byte DELETE = 2;
  static final int TOMBSTONE_BODY = 16;
  static final int MAX_KEY_BYTES = 0xFFFF;

  private JournalFormat() {}

  /** The header of a file of the current {@link #VERSION}. */
  static ByteBuffer fileHeader(long seq) {
    return fileHeader(seq, VERSION);
  }

  /** The header of a file of {@code version} (1 only to check the golden files of version 1). */
  static ByteBuffer fileHeader(long seq, int version) {
    int min = version == VERSION_1 ? VERSION_1 : MIN_COMPATIBLE_VERSION;
    ByteBuffer b = ByteBuffer.allocate(FILE_HEADER);
    b.put(MAGIC).putInt(version).putInt(min).putLong(seq).putInt(0);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, 28);
    b.putInt((int) crc.getValue());
    return b.flip();
  }

  /**
   * The sequence number in a valid file header, -1 if the header does not check out, -2 if it needs
   * a newer reader.
   */
  static long readFileHeader(ByteBuffer file) {
    if (file.limit() < FILE_HEADER) {
      return -1;
    }
    byte[] h = new byte[FILE_HEADER];
    file.get(0, h);
    CRC32C crc = new CRC32C();
    crc.update(h, 0, 28);
    ByteBuffer b = ByteBuffer.wrap(h);
    if (b.getInt(28) != (int) crc.getValue()) {
      return -1;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (h[i] != MAGIC[i]) {
        return -1;
      }
    }
    if (b.getInt(12) > VERSION) {
      return -2; // written by a newer version that older readers must not read
    }
    return b.getLong(16);
  }

  /** The format version of a file whose header {@link #readFileHeader} accepted. */
  static int fileVersion(ByteBuffer file) {
    return file.getInt(8);
  }

  /**
   * What a file's record CRCs start from: the file sequence number in version 2, nothing in version
   * 1 (returned as -1).
   */
  static long crcSeed(int version, long fileSeq) {
    return version == VERSION_1 ? -1 : fileSeq;
  }

  static int putLength(byte[] key, int dataLength) {
    return RECORD_HEADER + key.length + dataLength;
  }

  static int deleteLength(byte[] key) {
    return RECORD_HEADER + key.length + TOMBSTONE_BODY;
  }

  /** Appends a put record to {@code out}, for a file whose {@link #crcSeed} is {@code seed}. */
  static void writePut(
      ByteBuffer out, long seed, byte[] key, byte[] data, int dataOff, int dataLen) {
    int start = out.position();
    out.putInt(0).putInt(key.length + dataLen).put(PUT).put((byte) 0).putShort((short) key.length);
    out.put(key).put(data, dataOff, dataLen);
    finish(out, start, seed);
  }

  /**
   * Appends a tombstone record to {@code out}, for a file whose {@link #crcSeed} is {@code seed}.
   */
  static void writeDelete(
      ByteBuffer out, long seed, byte[] key, long targetFile, long targetOffset) {
    int start = out.position();
    out.putInt(0)
        .putInt(key.length + TOMBSTONE_BODY)
        .put(DELETE)
        .put((byte) 0)
        .putShort((short) key.length);
    out.put(key).putLong(targetFile).putLong(targetOffset);
    finish(out, start, seed);
  }

  private static void finish(ByteBuffer out, int start, long seed) {
    int end = out.position();
    CRC32C crc = seeded(seed);
    ByteBuffer view = out.duplicate().position(start + 4).limit(end);
    crc.update(view);
    out.putInt(start, (int) crc.getValue());
  }

  private static CRC32C seeded(long seed) {
    CRC32C crc = new CRC32C();
    if (seed >= 0) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        crc.update((int) (seed >>> shift) & 0xFF);
      }
    }
    return crc;
  }

  /** One decoded record header; {@code length} counts the whole record. */
  record Header(byte type, int keyLength, int bodyLength) {
    int length() {
      return RECORD_HEADER + bodyLength;
    }
  }

  /** Why a scan stopped. */
  enum End {
    /** End of file or a zero header: the records end here. */
    CLEAN,
    /** Bytes that are no valid record: a torn write or corruption. */
    TORN
  }

  /**
   * The record at {@code pos} of {@code file} (whose limit is the file's length, and whose {@link
   * #crcSeed} is {@code seed}) if it is valid and complete, else null; {@link #endAt} tells a clean
   * end from a torn one.
   */
  static Header recordAt(ByteBuffer file, long seed, int pos) {
    int limit = file.limit();
    if (limit - pos < RECORD_HEADER) {
      return null;
    }
    int crc = file.getInt(pos);
    int body = file.getInt(pos + 4);
    byte type = file.get(pos + 8);
    byte flags = file.get(pos + 9);
    int keyLen = file.getShort(pos + 10) & 0xFFFF;
    if (body < 0 || body > limit - pos - RECORD_HEADER || flags != 0 || keyLen > body) {
      return null;
    }
    if (type == DELETE) {
      if (body != keyLen + TOMBSTONE_BODY) {
        return null;
      }
    } else if (type != PUT) {
      return null;
    }
    CRC32C c = seeded(seed);
    c.update(file.duplicate().position(pos + 4).limit(pos + RECORD_HEADER + body));
    if ((int) c.getValue() != crc) {
      return null;
    }
    return new Header(type, keyLen, body);
  }

  /** Whether the records of {@code file} end cleanly at {@code pos} (no valid record there). */
  static End endAt(ByteBuffer file, int pos) {
    int n = Math.min(RECORD_HEADER, file.limit() - pos);
    for (int i = 0; i < n; i++) {
      if (file.get(pos + i) != 0) {
        return End.TORN;
      }
    }
    return End.CLEAN;
  }

  static String key(ByteBuffer file, int pos, int keyLen) {
    byte[] k = new byte[keyLen];
    file.get(pos + RECORD_HEADER, k);
    return new String(k, StandardCharsets.UTF_8);
  }
}
