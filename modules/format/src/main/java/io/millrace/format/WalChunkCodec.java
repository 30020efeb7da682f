package io.millrace.format;

import static io.millrace.format.ObjectFraming.CHECKSUM_LENGTH;
import static io.millrace.format.ObjectFraming.HEADER_FIELDS_OFFSET;
import static io.millrace.format.ObjectFraming.MAGIC_LENGTH;
import static io.millrace.format.ObjectFraming.TRAILER_FIELDS_OFFSET;

import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Encodes and decodes WAL objects, {@code wal/<channel-id>/<chunk-seq, 20 digits>}: a chunk holds
 * one section per stream that appended to the channel, a seal holds none
 * (docs/formats/wal-chunk.md). All fixed-size integers are big-endian; records use {@link
 * RecordCodec}.
 *
 * <p>Object layout, version 1:
 *
 * <pre>
 * header | section 0 | section 1 | ... | footer | trailer
 * </pre>
 *
 * Header (at offset 0, H bytes):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "MRWC" (0x4D525743)
 * 4       2     version (u16) = 1
 * 6       2     minCompatibleVersion (u16) = 1
 * 8       4     headerLength H (u32), whole header including its checksum
 * 12      1     kind: 1 = chunk, 2 = seal
 * 13      8     chunkSeq (i64, >= 0)
 * 21      2     channel id length N (u16)
 * 23      N     channel id, UTF-8
 * 23+N    ...   extension, empty in version 1; readers skip to H-4
 * H-4     4     CRC32C of bytes [0, H-4)
 * </pre>
 *
 * Section (one per stream, the first at offset H, each directly after the previous one):
 *
 * <pre>
 * offset  size  field
 * 0       4     sectionLength L (u32): bytes after this field, checksum excluded
 * 4       2     stream id length S (u16)
 * 6       S     stream id, UTF-8
 * 6+S     8     epoch (i64)
 * 14+S    4     record count n (u32)
 * 18+S    ...   n records, RecordCodec, seq num order
 * 4+L     4     CRC32C of bytes [0, 4+L) of the section
 * </pre>
 *
 * Footer (at footerOffset, footerLength F bytes, directly after the last section):
 *
 * <pre>
 * offset  size  field
 * 0       4     entry count E (u32)
 * 4       ...   E entries: stream id length (u16), stream id (UTF-8),
 *               section offset in the object (i64), section length incl. checksum (u32)
 * F-4     4     CRC32C of bytes [0, F-4) of the footer
 * </pre>
 *
 * Trailer (the last {@link #TRAILER_BYTES} bytes):
 *
 * <pre>
 * offset  size  field
 * 0       8     footerOffset (i64)
 * 8       4     footerLength F (u32)
 * 12      2     version (u16), equal to the header's
 * 14      2     minCompatibleVersion (u16), equal to the header's
 * 16      1     kind, equal to the header's
 * 17      4     CRC32C of trailer bytes [0, 17)
 * 21      4     magic "MRWC"
 * </pre>
 *
 * A ranged reader fetches the trailer (suffix GET of {@link #TRAILER_BYTES}), then the footer, then
 * one section, and decodes them with {@link #decodeTrailer}, {@link #decodeFooter} and {@link
 * #decodeSectionAt}.
 */
public final class WalChunkCodec {
  private WalChunkCodec() {}

  /** The format version this codec writes and the newest it reads. */
  public static final int VERSION = 1;

  /** The oldest reader version that can read what this codec writes. */
  public static final int MIN_COMPATIBLE_VERSION = 1;

  /** "MRWC". */
  public static final int MAGIC = 0x4D525743;

  static final int KIND_OFFSET = HEADER_FIELDS_OFFSET;
  static final int KIND_LENGTH = 1;
  static final int CHUNK_SEQ_OFFSET = KIND_OFFSET + KIND_LENGTH;
  static final int CHUNK_SEQ_LENGTH = 8;
  static final int CHANNEL_ID_LENGTH_OFFSET = CHUNK_SEQ_OFFSET + CHUNK_SEQ_LENGTH;
  static final int CHANNEL_ID_LENGTH_LENGTH = 2;
  static final int CHANNEL_ID_OFFSET = CHANNEL_ID_LENGTH_OFFSET + CHANNEL_ID_LENGTH_LENGTH;

  /** Header size with an empty channel id. */
  static final int HEADER_OVERHEAD = CHANNEL_ID_OFFSET + CHECKSUM_LENGTH;

  static final int SECTION_LENGTH_OFFSET = 0;
  static final int SECTION_LENGTH_LENGTH = 4;
  static final int SECTION_STREAM_ID_LENGTH_OFFSET = SECTION_LENGTH_OFFSET + SECTION_LENGTH_LENGTH;
  static final int SECTION_STREAM_ID_LENGTH_LENGTH = 2;
  static final int SECTION_STREAM_ID_OFFSET =
      SECTION_STREAM_ID_LENGTH_OFFSET + SECTION_STREAM_ID_LENGTH_LENGTH;
  static final int SECTION_EPOCH_LENGTH = 8;
  static final int SECTION_RECORD_COUNT_LENGTH = 4;

  /** Section size with an empty stream id and no records. */
  static final int SECTION_OVERHEAD =
      SECTION_STREAM_ID_OFFSET
          + SECTION_EPOCH_LENGTH
          + SECTION_RECORD_COUNT_LENGTH
          + CHECKSUM_LENGTH;

  static final int FOOTER_ENTRY_COUNT_LENGTH = 4;
  static final int FOOTER_OVERHEAD = FOOTER_ENTRY_COUNT_LENGTH + CHECKSUM_LENGTH;

  /** Footer entry size with an empty stream id: id length, offset, length. */
  static final int FOOTER_ENTRY_OVERHEAD = 2 + 8 + 4;

  static final int TRAILER_KIND_OFFSET = TRAILER_FIELDS_OFFSET;
  static final int TRAILER_CHECKSUM_OFFSET = TRAILER_KIND_OFFSET + KIND_LENGTH;
  static final int TRAILER_MAGIC_OFFSET = TRAILER_CHECKSUM_OFFSET + CHECKSUM_LENGTH;

  /** Size of the fixed trailer at the very end of every WAL object. */
  public static final int TRAILER_BYTES = TRAILER_MAGIC_OFFSET + MAGIC_LENGTH;

  /** What a WAL object is. */
  public enum Kind {
    CHUNK(1),
    SEAL(2);

    final int code;

    Kind(int code) {
      this.code = code;
    }

    static Kind of(int code, String what) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new CorruptObjectException(what + ": unknown object kind " + code);
    }
  }

  /** The decoded trailer: where the footer is, and the object's version and kind. */
  public record Trailer(
      int version, int minCompatibleVersion, Kind kind, long footerOffset, int footerLength) {}

  /** One footer index entry: where a stream's section is in the object. */
  public record FooterEntry(String streamId, long sectionOffset, int sectionLength) {}

  /** The object key of chunk (or seal) {@code chunkSeq} of a channel. */
  public static String objectKey(String channelId, long chunkSeq) {
    if (chunkSeq < 0) {
      throw new IllegalArgumentException("chunkSeq must be >= 0: " + chunkSeq);
    }
    return "wal/" + channelId + "/" + String.format("%020d", chunkSeq);
  }

  // ---------------------------------------------------------------- encoding

  /**
   * Encodes a chunk. Sections are written in the given order; each stream id may appear once.
   *
   * @throws IllegalArgumentException on a negative chunk seq or a repeated stream id
   */
  public static byte[] encodeChunk(String channelId, long chunkSeq, List<StreamSection> sections) {
    Objects.requireNonNull(sections, "sections");
    Set<String> seen = new HashSet<>();
    for (StreamSection s : sections) {
      if (!seen.add(s.streamId())) {
        throw new IllegalArgumentException("stream " + s.streamId() + " has two sections");
      }
    }
    return encode(Kind.CHUNK, channelId, chunkSeq, sections);
  }

  /** Encodes a seal for the first missing chunk seq of a channel incarnation. */
  public static byte[] encodeSeal(String channelId, long chunkSeq) {
    return encode(Kind.SEAL, channelId, chunkSeq, List.of());
  }

  private static byte[] encode(
      Kind kind, String channelId, long chunkSeq, List<StreamSection> sections) {
    Objects.requireNonNull(channelId, "channelId");
    if (chunkSeq < 0) {
      throw new IllegalArgumentException("chunkSeq must be >= 0: " + chunkSeq);
    }
    ByteWriter w = new ByteWriter(encodedSize(channelId, sections));
    int headerLengthAt = ObjectFraming.startHeader(w, MAGIC, VERSION, MIN_COMPATIBLE_VERSION);
    w.u8(kind.code);
    w.i64(chunkSeq);
    w.shortString(channelId, "channel id");
    ObjectFraming.endHeader(w, headerLengthAt);

    List<FooterEntry> entries = new ArrayList<>(sections.size());
    for (StreamSection s : sections) {
      int start = w.size();
      w.i32(0);
      w.shortString(s.streamId(), "stream id");
      w.i64(s.epoch());
      w.i32(s.records().size());
      for (SequencedRecord r : s.records()) {
        RecordCodec.write(w, r);
      }
      w.putI32(start, w.size() - start - SECTION_LENGTH_LENGTH);
      w.crc32cFrom(start);
      entries.add(new FooterEntry(s.streamId(), start, w.size() - start));
    }

    int footerOffset = w.size();
    w.i32(entries.size());
    for (FooterEntry e : entries) {
      w.shortString(e.streamId(), "stream id");
      w.i64(e.sectionOffset());
      w.i32(e.sectionLength());
    }
    w.crc32cFrom(footerOffset);
    int footerLength = w.size() - footerOffset;

    int trailerStart =
        ObjectFraming.startTrailer(w, footerOffset, footerLength, VERSION, MIN_COMPATIBLE_VERSION);
    w.u8(kind.code);
    ObjectFraming.endTrailer(w, trailerStart, MAGIC);
    return w.toByteArray();
  }

  /**
   * The exact size of the encoded object, so that the writer's buffer is the object itself (no
   * final copy of a chunk of up to {@code chunk-max-bytes}).
   */
  static int encodedSize(String channelId, List<StreamSection> sections) {
    long n = HEADER_OVERHEAD + ByteWriter.utf8Length(channelId) + FOOTER_OVERHEAD + TRAILER_BYTES;
    for (StreamSection s : sections) {
      // the stream id is written twice: in the section and in its footer entry
      n += SECTION_OVERHEAD + FOOTER_ENTRY_OVERHEAD + 2L * ByteWriter.utf8Length(s.streamId());
      for (SequencedRecord r : s.records()) {
        n += RecordCodec.encodedSize(r);
      }
    }
    return (int) Math.min(n, Integer.MAX_VALUE - 16);
  }

  // ---------------------------------------------------------------- decoding

  /** Decodes a whole chunk or seal, checking every checksum and that the parts tile the object. */
  public static WalObject decode(byte[] object) {
    Trailer trailer = decodeTrailer(object);
    ByteReader r = new ByteReader(object, 0, object.length, "WAL object");
    ObjectFraming.Versions versions =
        ObjectFraming.readHeaderStart(r, "WAL object", MAGIC, VERSION);
    if (versions.version() != trailer.version()
        || versions.minCompatible() != trailer.minCompatibleVersion()) {
      throw new CorruptObjectException("WAL object: header and trailer versions differ");
    }
    int headerLength = r.u31("header length");
    if (headerLength < HEADER_OVERHEAD || headerLength > object.length - TRAILER_BYTES) {
      throw new CorruptObjectException(
          "WAL object: header length " + headerLength + " out of range");
    }
    ByteReader h = r.slice(r.position(), headerLength - CHECKSUM_LENGTH, "WAL object header");
    Kind kind = Kind.of(h.u8("kind"), "WAL object header");
    long chunkSeq = h.i64("chunk seq");
    String channelId = h.shortString("channel id");
    r.skip(headerLength - CHECKSUM_LENGTH - r.position(), "header");
    r.checkCrc32c(0, "header");
    if (kind != trailer.kind()) {
      throw new CorruptObjectException("WAL object: header kind and trailer kind differ");
    }
    if (chunkSeq < 0) {
      throw new CorruptObjectException("WAL object: negative chunk seq " + chunkSeq);
    }

    long footerOffset = trailer.footerOffset();
    if (footerOffset < headerLength
        || footerOffset + trailer.footerLength() != object.length - TRAILER_BYTES) {
      throw new CorruptObjectException(
          "WAL object: footer at ["
              + footerOffset
              + ", +"
              + trailer.footerLength()
              + ") does not end where the trailer starts ("
              + (object.length - TRAILER_BYTES)
              + ")");
    }
    List<FooterEntry> entries =
        decodeFooter(object, (int) footerOffset, (int) footerOffset + trailer.footerLength());
    if (kind == Kind.SEAL) {
      if (!entries.isEmpty() || footerOffset != headerLength) {
        throw new CorruptObjectException("WAL seal: has sections");
      }
      return new WalObject.Seal(channelId, chunkSeq);
    }
    List<StreamSection> sections = new ArrayList<>(entries.size());
    long expected = headerLength;
    for (FooterEntry e : entries) {
      if (e.sectionOffset() != expected) {
        throw new CorruptObjectException(
            "WAL chunk: section of stream "
                + e.streamId()
                + " at offset "
                + e.sectionOffset()
                + " but the previous part ends at "
                + expected);
      }
      sections.add(sectionAt(object, e));
      expected = e.sectionOffset() + e.sectionLength();
    }
    if (expected != footerOffset) {
      throw new CorruptObjectException(
          "WAL chunk: sections end at " + expected + " but the footer starts at " + footerOffset);
    }
    return new WalObject.Chunk(channelId, chunkSeq, sections);
  }

  /**
   * Decodes the section of one stream using the footer index; checks the trailer, the footer and
   * that one section's checksum only. A seal, or a chunk without that stream, yields empty.
   */
  public static Optional<StreamSection> decodeSection(byte[] object, String streamId) {
    Trailer trailer = decodeTrailer(object);
    long footerOffset = trailer.footerOffset();
    if (footerOffset + trailer.footerLength() != object.length - TRAILER_BYTES) {
      throw new CorruptObjectException(
          "WAL object: footer does not end where the trailer starts (object truncated?)");
    }
    List<FooterEntry> entries =
        decodeFooter(object, (int) footerOffset, (int) footerOffset + trailer.footerLength());
    if (trailer.kind() == Kind.SEAL) {
      return Optional.empty();
    }
    for (FooterEntry e : entries) {
      if (e.streamId().equals(streamId)) {
        if (e.sectionOffset() + e.sectionLength() > footerOffset) {
          throw new CorruptObjectException(
              "WAL chunk: section of stream " + streamId + " overlaps the footer");
        }
        return Optional.of(sectionAt(object, e));
      }
    }
    return Optional.empty();
  }

  private static StreamSection sectionAt(byte[] object, FooterEntry e) {
    int from = (int) e.sectionOffset();
    StreamSection s = decodeSection(object, from, from + e.sectionLength());
    if (!s.streamId().equals(e.streamId())) {
      throw new CorruptObjectException(
          "WAL chunk: footer names stream "
              + e.streamId()
              + " for the section at offset "
              + from
              + " but the section holds stream "
              + s.streamId());
    }
    return s;
  }

  /**
   * Decodes the trailer from the last {@link #TRAILER_BYTES} bytes of {@code bytes} (a suffix
   * ranged GET, or the whole object).
   */
  public static Trailer decodeTrailer(byte[] bytes) {
    if (bytes.length < TRAILER_BYTES) {
      throw new CorruptObjectException(
          "WAL object: truncated, "
              + bytes.length
              + " bytes is shorter than the "
              + TRAILER_BYTES
              + "-byte trailer");
    }
    int start = bytes.length - TRAILER_BYTES;
    ByteReader r = new ByteReader(bytes, start, bytes.length, "WAL trailer");
    int magic = ByteReader.getI32(bytes, start + TRAILER_MAGIC_OFFSET);
    if (magic != MAGIC) {
      throw new CorruptObjectException(
          "WAL trailer: bad magic "
              + Integer.toHexString(magic)
              + " (not a WAL object, or truncated)");
    }
    long footerOffset = r.i64("footer offset");
    int footerLength = r.u31("footer length");
    int version = r.u16("version");
    int minCompatible = r.u16("minimum compatible version");
    FormatVersions.check("WAL trailer", version, minCompatible, VERSION);
    int kindCode = r.u8("kind");
    r.checkCrc32c(start, "trailer");
    Kind kind = Kind.of(kindCode, "WAL trailer");
    if (footerOffset < HEADER_OVERHEAD || footerLength < FOOTER_OVERHEAD) {
      throw new CorruptObjectException(
          "WAL trailer: footer at [" + footerOffset + ", +" + footerLength + ") out of range");
    }
    return new Trailer(version, minCompatible, kind, footerOffset, footerLength);
  }

  /** Decodes a footer fetched on its own ({@link Trailer#footerOffset()}, length). */
  public static List<FooterEntry> decodeFooter(byte[] footerBytes) {
    return decodeFooter(footerBytes, 0, footerBytes.length);
  }

  private static List<FooterEntry> decodeFooter(byte[] bytes, int from, int to) {
    ByteReader r = new ByteReader(bytes, from, to, "WAL footer");
    if (r.remaining() < FOOTER_OVERHEAD) {
      throw new CorruptObjectException("WAL footer: truncated, " + r.remaining() + " bytes");
    }
    ByteReader body = r.slice(from, to - CHECKSUM_LENGTH, "WAL footer");
    r.skip(to - CHECKSUM_LENGTH - from, "footer");
    r.checkCrc32c(from, "footer");
    int count = body.u31("entry count");
    if (count > body.remaining() / FOOTER_ENTRY_OVERHEAD) {
      throw new CorruptObjectException(
          "WAL footer: entry count " + count + " does not fit in " + body.remaining() + " bytes");
    }
    List<FooterEntry> entries = new ArrayList<>(count);
    Set<String> seen = new HashSet<>();
    long previousEnd = 0;
    for (int i = 0; i < count; i++) {
      String streamId = body.shortString("entry " + i + " stream id");
      long offset = body.i64("entry " + i + " section offset");
      int length = body.u31("entry " + i + " section length");
      if (offset < previousEnd
          || length < SECTION_OVERHEAD
          || offset > Integer.MAX_VALUE - length) {
        throw new CorruptObjectException(
            "WAL footer: entry " + i + " section [" + offset + ", +" + length + ") out of range");
      }
      if (!seen.add(streamId)) {
        throw new CorruptObjectException("WAL footer: stream " + streamId + " listed twice");
      }
      previousEnd = offset + length;
      entries.add(new FooterEntry(streamId, offset, length));
    }
    body.expectEnd("footer entries");
    return List.copyOf(entries);
  }

  /** Decodes one section fetched on its own (offset and length from its footer entry). */
  public static StreamSection decodeSectionAt(byte[] sectionBytes) {
    return decodeSection(sectionBytes, 0, sectionBytes.length);
  }

  private static StreamSection decodeSection(byte[] bytes, int from, int to) {
    ByteReader r = new ByteReader(bytes, from, to, "WAL section at offset " + from);
    int length = r.u31("section length");
    if (length != to - from - SECTION_LENGTH_LENGTH - CHECKSUM_LENGTH) {
      throw new CorruptObjectException(
          "WAL section at offset "
              + from
              + ": length field says "
              + length
              + " but the section spans "
              + (to - from)
              + " bytes");
    }
    ByteReader body = r.slice(r.position(), r.position() + length, "WAL section at offset " + from);
    r.skip(length, "section");
    r.checkCrc32c(from, "section");
    String streamId = body.shortString("stream id");
    String what = "WAL section of stream " + streamId;
    long epoch = body.i64("epoch");
    int count = body.u31("record count");
    if (count > body.remaining()) {
      throw new CorruptObjectException(
          what + ": record count " + count + " does not fit in " + body.remaining() + " bytes");
    }
    List<SequencedRecord> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      records.add(RecordCodec.read(body, what + " record " + i));
    }
    body.expectEnd("records of " + what);
    return new StreamSection(streamId, epoch, records);
  }
}
