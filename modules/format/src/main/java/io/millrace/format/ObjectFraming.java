package io.millrace.format;

/**
 * The framing every Millrace object format shares (docs/formats/wal-chunk.md,
 * docs/formats/segment.md): a header that starts with the magic, the version, the minimum
 * compatible version and the header's own length, and ends with a CRC32C of the bytes before it;
 * and a trailer that starts with the footer's offset and length and the two versions, and ends with
 * a CRC32C of the bytes before it and the magic. Each codec writes its own fields in between and
 * documents its whole layout in its Javadoc.
 *
 * <pre>
 * header  offset  size  field
 *         0       4     magic
 *         4       2     version (u16)
 *         6       2     minCompatibleVersion (u16)
 *         8       4     headerLength H (u32), whole header including its checksum
 *         12      ...   the format's header fields
 *         H-4     4     CRC32C of bytes [0, H-4)
 *
 * trailer offset  size  field
 *         0       8     footerOffset (i64)
 *         8       4     footerLength (u32)
 *         12      2     version (u16), equal to the header's
 *         14      2     minCompatibleVersion (u16), equal to the header's
 *         16      ...   the format's trailer fields
 *         T-8     4     CRC32C of trailer bytes [0, T-8)
 *         T-4     4     magic
 * </pre>
 */
final class ObjectFraming {
  private ObjectFraming() {}

  static final int MAGIC_OFFSET = 0;
  static final int MAGIC_LENGTH = 4;
  static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
  static final int VERSION_LENGTH = 2;
  static final int MIN_COMPATIBLE_VERSION_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
  static final int MIN_COMPATIBLE_VERSION_LENGTH = 2;
  static final int HEADER_LENGTH_OFFSET =
      MIN_COMPATIBLE_VERSION_OFFSET + MIN_COMPATIBLE_VERSION_LENGTH;
  static final int HEADER_LENGTH_LENGTH = 4;

  /** Where a format's own header fields start. */
  static final int HEADER_FIELDS_OFFSET = HEADER_LENGTH_OFFSET + HEADER_LENGTH_LENGTH;

  static final int CHECKSUM_LENGTH = 4;

  static final int TRAILER_FOOTER_OFFSET_OFFSET = 0;
  static final int TRAILER_FOOTER_OFFSET_LENGTH = 8;
  static final int TRAILER_FOOTER_LENGTH_OFFSET =
      TRAILER_FOOTER_OFFSET_OFFSET + TRAILER_FOOTER_OFFSET_LENGTH;
  static final int TRAILER_FOOTER_LENGTH_LENGTH = 4;
  static final int TRAILER_VERSION_OFFSET =
      TRAILER_FOOTER_LENGTH_OFFSET + TRAILER_FOOTER_LENGTH_LENGTH;
  static final int TRAILER_MIN_COMPATIBLE_VERSION_OFFSET = TRAILER_VERSION_OFFSET + VERSION_LENGTH;

  /** Where a format's own trailer fields (if it has any) start. */
  static final int TRAILER_FIELDS_OFFSET =
      TRAILER_MIN_COMPATIBLE_VERSION_OFFSET + MIN_COMPATIBLE_VERSION_LENGTH;

  /** Size of the trailer's checksum and magic after the format's own trailer fields. */
  static final int TRAILER_END_LENGTH = CHECKSUM_LENGTH + MAGIC_LENGTH;

  /**
   * Writes the start of a header at offset 0, its length a placeholder, and returns where the
   * length goes: the format's own header fields follow, then {@link #endHeader}.
   */
  static int startHeader(ByteWriter w, int magic, int version, int minCompatibleVersion) {
    w.i32(magic);
    w.u16(version);
    w.u16(minCompatibleVersion);
    int headerLengthAt = w.size();
    w.i32(0);
    return headerLengthAt;
  }

  /** Fills in the length of the header that {@link #startHeader} began and appends its checksum. */
  static void endHeader(ByteWriter w, int headerLengthAt) {
    w.putI32(headerLengthAt, w.size() + CHECKSUM_LENGTH);
    w.crc32cFrom(0);
  }

  /**
   * Writes the start of the trailer and returns where it starts: the format's own trailer fields
   * follow, then {@link #endTrailer}.
   */
  static int startTrailer(
      ByteWriter w, int footerOffset, int footerLength, int version, int minCompatibleVersion) {
    int trailerStart = w.size();
    w.i64(footerOffset);
    w.i32(footerLength);
    w.u16(version);
    w.u16(minCompatibleVersion);
    return trailerStart;
  }

  /** Appends the checksum of the trailer from {@code trailerStart} on, then the magic. */
  static void endTrailer(ByteWriter w, int trailerStart, int magic) {
    w.crc32cFrom(trailerStart);
    w.i32(magic);
  }

  /** The versions a header or trailer names. */
  record Versions(int version, int minCompatible) {}

  /**
   * Reads the magic and the versions at the start of a header ({@code r} at offset 0) and checks
   * them: a wrong magic or versions this reader cannot read fail with {@link
   * CorruptObjectException} naming {@code what}.
   */
  static Versions readHeaderStart(ByteReader r, String what, int magic, int readerVersion) {
    int found = r.i32("magic");
    if (found != magic) {
      throw new CorruptObjectException(
          what + ": bad magic " + Integer.toHexString(found) + " at offset 0");
    }
    int version = r.u16("version");
    int minCompatible = r.u16("minimum compatible version");
    FormatVersions.check(what + " header", version, minCompatible, readerVersion);
    return new Versions(version, minCompatible);
  }
}
