package io.millrace.format;

import static io.millrace.format.ObjectFraming.CHECKSUM_LENGTH;
import static io.millrace.format.ObjectFraming.HEADER_FIELDS_OFFSET;
import static io.millrace.format.ObjectFraming.MAGIC_LENGTH;
import static io.millrace.format.ObjectFraming.TRAILER_FIELDS_OFFSET;

import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Encodes and decodes segments, {@code segments/<stream-id>/<first-seq>-<last-seq>}: the records of
 * one stream with contiguous seq nums, in checksummed blocks, with a sparse index of the blocks
 * (docs/formats/segment.md). All fixed-size integers are big-endian; records use {@link
 * RecordCodec}.
 *
 * <p>Object layout, version 1:
 *
 * <pre>
 * header | block 0 | block 1 | ... | index footer | trailer
 * </pre>
 *
 * Header (at offset 0, H bytes):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "MRSG" (0x4D525347)
 * 4       2     version (u16) = 1
 * 6       2     minCompatibleVersion (u16) = 1
 * 8       4     headerLength H (u32), whole header including its checksum
 * 12      1     flags: bit 0 = timestamps never decrease; other bits 0
 * 13      8     firstSeqNum (i64)
 * 21      8     lastSeqNum (i64), inclusive
 * 29      8     firstTimestamp (i64)
 * 37      8     lastTimestamp (i64)
 * 45      4     recordCount (u32) = lastSeqNum - firstSeqNum + 1
 * 49      2     stream id length N (u16)
 * 51      N     stream id, UTF-8
 * 51+N    ...   extension, empty in version 1; readers skip to H-4
 * H-4     4     CRC32C of bytes [0, H-4)
 * </pre>
 *
 * Block (the first at offset H, each directly after the previous one; a block is closed once it
 * holds {@code blockMaxRecords} records or {@code blockTargetBytes} bytes of records):
 *
 * <pre>
 * offset  size  field
 * 0       4     blockLength L (u32): bytes after this field, checksum excluded
 * 4       4     record count n (u32), at least 1
 * 8       ...   n records, RecordCodec, contiguous seq nums
 * 4+L     4     CRC32C of bytes [0, 4+L) of the block
 * </pre>
 *
 * Index footer (at footerOffset, F bytes, directly after the last block), one entry per block:
 *
 * <pre>
 * offset      size  field
 * 0           4     entry count E (u32) = number of blocks
 * 4 + 28*i    8     block i: seq num of its first record (i64)
 * 12 + 28*i   8     block i: timestamp of its first record (i64)
 * 20 + 28*i   8     block i: offset in the object (i64)
 * 28 + 28*i   4     block i: length including its checksum (u32)
 * 4 + 28*E    4     CRC32C of bytes [0, 4+28*E) of the footer
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
 * 16      4     CRC32C of trailer bytes [0, 16)
 * 20      4     magic "MRSG"
 * </pre>
 *
 * A ranged reader fetches the trailer (suffix GET of {@link #TRAILER_BYTES}), then the index, then
 * the blocks from {@link #blockForSeqNum} on, and decodes them with {@link #decodeTrailer}, {@link
 * #decodeIndex} and {@link #decodeBlocks}.
 */
public final class SegmentCodec {
  private SegmentCodec() {}

  /** The format version this codec writes and the newest it reads. */
  public static final int VERSION = 1;

  /** The oldest reader version that can read what this codec writes. */
  public static final int MIN_COMPATIBLE_VERSION = 1;

  /** "MRSG". */
  public static final int MAGIC = 0x4D525347;

  /** Default: a block is closed after this many records. */
  public static final int DEFAULT_BLOCK_MAX_RECORDS = 256;

  /** Default: a block is closed once its records take this many bytes. */
  public static final int DEFAULT_BLOCK_TARGET_BYTES = 64 * 1024;

  static final int FLAG_TIMESTAMPS_MONOTONIC = 1;

  static final int FLAGS_OFFSET = HEADER_FIELDS_OFFSET;
  static final int FLAGS_LENGTH = 1;
  static final int FIRST_SEQ_OFFSET = FLAGS_OFFSET + FLAGS_LENGTH;
  static final int SEQ_LENGTH = 8;
  static final int LAST_SEQ_OFFSET = FIRST_SEQ_OFFSET + SEQ_LENGTH;
  static final int FIRST_TIMESTAMP_OFFSET = LAST_SEQ_OFFSET + SEQ_LENGTH;
  static final int TIMESTAMP_LENGTH = 8;
  static final int LAST_TIMESTAMP_OFFSET = FIRST_TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
  static final int RECORD_COUNT_OFFSET = LAST_TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
  static final int RECORD_COUNT_LENGTH = 4;
  static final int STREAM_ID_LENGTH_OFFSET = RECORD_COUNT_OFFSET + RECORD_COUNT_LENGTH;
  static final int STREAM_ID_LENGTH_LENGTH = 2;
  static final int STREAM_ID_OFFSET = STREAM_ID_LENGTH_OFFSET + STREAM_ID_LENGTH_LENGTH;

  /** Header size with an empty stream id. */
  static final int HEADER_OVERHEAD = STREAM_ID_OFFSET + CHECKSUM_LENGTH;

  static final int BLOCK_LENGTH_OFFSET = 0;
  static final int BLOCK_LENGTH_LENGTH = 4;
  static final int BLOCK_RECORD_COUNT_OFFSET = BLOCK_LENGTH_OFFSET + BLOCK_LENGTH_LENGTH;
  static final int BLOCK_RECORD_COUNT_LENGTH = 4;
  static final int BLOCK_RECORDS_OFFSET = BLOCK_RECORD_COUNT_OFFSET + BLOCK_RECORD_COUNT_LENGTH;
  static final int BLOCK_OVERHEAD = BLOCK_RECORDS_OFFSET + CHECKSUM_LENGTH;

  static final int INDEX_COUNT_LENGTH = 4;
  static final int INDEX_ENTRY_SEQ_OFFSET = 0;
  static final int INDEX_ENTRY_TIMESTAMP_OFFSET = INDEX_ENTRY_SEQ_OFFSET + SEQ_LENGTH;
  static final int INDEX_ENTRY_BLOCK_OFFSET_OFFSET =
      INDEX_ENTRY_TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
  static final int INDEX_ENTRY_BLOCK_LENGTH_OFFSET = INDEX_ENTRY_BLOCK_OFFSET_OFFSET + 8;
  static final int INDEX_ENTRY_BYTES = INDEX_ENTRY_BLOCK_LENGTH_OFFSET + 4;
  static final int INDEX_OVERHEAD = INDEX_COUNT_LENGTH + CHECKSUM_LENGTH;

  static final int TRAILER_CHECKSUM_OFFSET = TRAILER_FIELDS_OFFSET;
  static final int TRAILER_MAGIC_OFFSET = TRAILER_CHECKSUM_OFFSET + CHECKSUM_LENGTH;

  /** Size of the fixed trailer at the very end of every segment. */
  public static final int TRAILER_BYTES = TRAILER_MAGIC_OFFSET + MAGIC_LENGTH;

  /** One sparse index entry: the first record of a block and where the block is. */
  public record IndexEntry(
      long firstSeqNum, long firstTimestamp, long blockOffset, int blockLength) {}

  /** The decoded trailer: where the index footer is, and the segment's version. */
  public record Trailer(int version, int minCompatibleVersion, long indexOffset, int indexLength) {}

  /** The object key of a segment: 20-digit first and last seq nums, so keys sort by position. */
  public static String objectKey(String streamId, long firstSeqNum, long lastSeqNum) {
    return "segments/"
        + streamId
        + "/"
        + String.format("%020d", firstSeqNum)
        + "-"
        + String.format("%020d", lastSeqNum);
  }

  // ---------------------------------------------------------------- encoding

  /**
   * Encodes a segment with the default block size.
   *
   * @throws IllegalArgumentException if {@code records} is empty or its seq nums are not contiguous
   *     and ascending
   */
  public static byte[] encode(String streamId, List<SequencedRecord> records) {
    return encode(streamId, records, DEFAULT_BLOCK_MAX_RECORDS, DEFAULT_BLOCK_TARGET_BYTES);
  }

  /**
   * Encodes a segment, closing a block after {@code blockMaxRecords} or {@code blockTargetBytes}.
   */
  public static byte[] encode(
      String streamId, List<SequencedRecord> records, int blockMaxRecords, int blockTargetBytes) {
    Objects.requireNonNull(streamId, "streamId");
    if (records.isEmpty()) {
      throw new IllegalArgumentException("a segment needs at least one record");
    }
    if (blockMaxRecords < 1 || blockTargetBytes < 1) {
      throw new IllegalArgumentException("block limits must be positive");
    }
    SequencedRecord first = records.get(0);
    SequencedRecord last = records.get(records.size() - 1);
    boolean monotonic = true;
    for (int i = 1; i < records.size(); i++) {
      SequencedRecord prev = records.get(i - 1);
      SequencedRecord cur = records.get(i);
      if (prev.seqNum() == Long.MAX_VALUE || cur.seqNum() != prev.seqNum() + 1) {
        throw new IllegalArgumentException(
            "segment seq nums must be contiguous: " + cur.seqNum() + " after " + prev.seqNum());
      }
      if (cur.timestamp() < prev.timestamp()) {
        monotonic = false;
      }
    }
    if (first.seqNum() < 0) {
      throw new IllegalArgumentException("seq nums must be >= 0");
    }
    ByteWriter w =
        new ByteWriter(encodedSize(streamId, records, blockMaxRecords, blockTargetBytes));
    int headerLengthAt = ObjectFraming.startHeader(w, MAGIC, VERSION, MIN_COMPATIBLE_VERSION);
    w.u8(monotonic ? FLAG_TIMESTAMPS_MONOTONIC : 0);
    w.i64(first.seqNum());
    w.i64(last.seqNum());
    w.i64(first.timestamp());
    w.i64(last.timestamp());
    w.i32(records.size());
    w.shortString(streamId, "stream id");
    ObjectFraming.endHeader(w, headerLengthAt);

    List<IndexEntry> index = new ArrayList<>();
    int i = 0;
    while (i < records.size()) {
      int start = w.size();
      w.i32(0);
      w.i32(0);
      int count = 0;
      SequencedRecord blockFirst = records.get(i);
      while (i < records.size()
          && count < blockMaxRecords
          && w.size() - start - BLOCK_RECORDS_OFFSET < blockTargetBytes) {
        RecordCodec.write(w, records.get(i));
        i++;
        count++;
      }
      w.putI32(start + BLOCK_LENGTH_OFFSET, w.size() - start - BLOCK_LENGTH_LENGTH);
      w.putI32(start + BLOCK_RECORD_COUNT_OFFSET, count);
      w.crc32cFrom(start);
      index.add(
          new IndexEntry(blockFirst.seqNum(), blockFirst.timestamp(), start, w.size() - start));
    }

    int footerOffset = w.size();
    w.i32(index.size());
    for (IndexEntry e : index) {
      w.i64(e.firstSeqNum());
      w.i64(e.firstTimestamp());
      w.i64(e.blockOffset());
      w.i32(e.blockLength());
    }
    w.crc32cFrom(footerOffset);
    int footerLength = w.size() - footerOffset;

    int trailerStart =
        ObjectFraming.startTrailer(w, footerOffset, footerLength, VERSION, MIN_COMPATIBLE_VERSION);
    ObjectFraming.endTrailer(w, trailerStart, MAGIC);
    return w.toByteArray();
  }

  /**
   * The exact size of the segment {@link #encode} writes (blocks are cut by the same rule), so that
   * the writer's buffer is the segment itself, with no final copy.
   */
  static int encodedSize(
      String streamId, List<SequencedRecord> records, int blockMaxRecords, int blockTargetBytes) {
    long n = HEADER_OVERHEAD + ByteWriter.utf8Length(streamId) + INDEX_OVERHEAD + TRAILER_BYTES;
    int i = 0;
    while (i < records.size()) {
      long blockRecordBytes = 0;
      int count = 0;
      while (i < records.size() && count < blockMaxRecords && blockRecordBytes < blockTargetBytes) {
        blockRecordBytes += RecordCodec.encodedSize(records.get(i));
        i++;
        count++;
      }
      n += BLOCK_OVERHEAD + INDEX_ENTRY_BYTES + blockRecordBytes;
    }
    return (int) Math.min(n, Integer.MAX_VALUE - 16);
  }

  // ---------------------------------------------------------------- decoding

  /** The header of a segment, checksum checked; reads nothing past the header. */
  public static SegmentMeta readMeta(byte[] segment) {
    return readHeader(segment).meta();
  }

  /** Decodes every record, checking every checksum, the index and seq num contiguity. */
  public static List<SequencedRecord> decode(byte[] segment) {
    Parsed p = parse(segment);
    List<SequencedRecord> out = new ArrayList<>(p.header.meta().recordCount());
    for (IndexEntry e : p.index) {
      out.addAll(block(segment, p, e, out.isEmpty() ? null : out.get(out.size() - 1)));
    }
    checkEnd(p, out.isEmpty() ? null : out.get(out.size() - 1));
    return out;
  }

  /**
   * The records with seq num {@code >= fromSeqNum}, in order: starts at the block the index points
   * to. Empty when {@code fromSeqNum} is past the last record.
   */
  public static List<SequencedRecord> decodeFrom(byte[] segment, long fromSeqNum) {
    Parsed p = parse(segment);
    SegmentMeta meta = p.header.meta();
    if (fromSeqNum > meta.lastSeqNum()) {
      return List.of();
    }
    return readFromBlock(
        segment, p, blockForSeqNum(p.index, fromSeqNum), r -> r.seqNum() >= fromSeqNum);
  }

  /**
   * The first record with timestamp {@code >= timestamp} and every record after it. Uses the index
   * when the segment's timestamps never decrease, else scans. Empty when no record qualifies.
   */
  public static List<SequencedRecord> decodeFromTimestamp(byte[] segment, long timestamp) {
    Parsed p = parse(segment);
    int startBlock = 0;
    if (p.header.monotonic) {
      // First block whose first timestamp is >= timestamp; the record may be in the block before.
      int lo = 0;
      int hi = p.index.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (p.index.get(mid).firstTimestamp() >= timestamp) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      startBlock = Math.max(0, lo - 1);
    }
    return readFromBlock(segment, p, startBlock, r -> r.timestamp() >= timestamp);
  }

  private static List<SequencedRecord> readFromBlock(
      byte[] segment,
      Parsed p,
      int startBlock,
      java.util.function.Predicate<SequencedRecord> startsAt) {
    List<SequencedRecord> out = new ArrayList<>();
    boolean started = false;
    SequencedRecord previous = null;
    for (int b = startBlock; b < p.index.size(); b++) {
      for (SequencedRecord r : block(segment, p, p.index.get(b), previous)) {
        if (!started && startsAt.test(r)) {
          started = true;
        }
        if (started) {
          out.add(r);
        }
        previous = r;
      }
    }
    checkEnd(p, previous);
    return out;
  }

  private static void checkEnd(Parsed p, SequencedRecord last) {
    SegmentMeta meta = p.header.meta();
    if (last == null
        || last.seqNum() != meta.lastSeqNum()
        || last.timestamp() != meta.lastTimestamp()) {
      throw new CorruptObjectException(
          "segment of stream " + meta.streamId() + ": last record does not match the header");
    }
  }

  /** Decodes and checks one block; {@code previous} is the record before it, if read. */
  private static List<SequencedRecord> block(
      byte[] segment, Parsed p, IndexEntry e, SequencedRecord previous) {
    int from = (int) e.blockOffset();
    String what = "segment block at offset " + from;
    List<SequencedRecord> out = blockRecords(segment, from, from + e.blockLength(), what);
    SequencedRecord head = out.get(0);
    if (head.seqNum() != e.firstSeqNum() || head.timestamp() != e.firstTimestamp()) {
      throw new CorruptObjectException(what + ": first record does not match its index entry");
    }
    SegmentMeta meta = p.header.meta();
    if (previous == null && e.blockOffset() == p.index.get(0).blockOffset()) {
      if (head.seqNum() != meta.firstSeqNum() || head.timestamp() != meta.firstTimestamp()) {
        throw new CorruptObjectException(what + ": first record does not match the header");
      }
    }
    if (previous != null && head.seqNum() != previous.seqNum() + 1) {
      throw new CorruptObjectException(
          what + ": seq num " + head.seqNum() + " does not follow " + previous.seqNum());
    }
    for (SequencedRecord rec : out) {
      if (p.header.monotonic && previous != null && rec.timestamp() < previous.timestamp()) {
        throw new CorruptObjectException(what + ": timestamp decreases at seq num " + rec.seqNum());
      }
      previous = rec;
    }
    return out;
  }

  /**
   * Decodes the block spanning exactly {@code bytes[from, to)}: length field, checksum, at least
   * one record, contiguous seq nums.
   */
  private static List<SequencedRecord> blockRecords(byte[] bytes, int from, int to, String what) {
    ByteReader r = new ByteReader(bytes, from, to, what);
    int length = r.u31("block length");
    if (length != to - from - BLOCK_LENGTH_LENGTH - CHECKSUM_LENGTH) {
      throw new CorruptObjectException(
          what + ": length field " + length + " disagrees with the block size " + (to - from));
    }
    ByteReader body = r.slice(r.position(), r.position() + length, what);
    r.skip(length, "block");
    r.checkCrc32c(from, "block");
    int count = body.u31("record count");
    if (count < 1 || count > body.remaining()) {
      throw new CorruptObjectException(what + ": record count " + count + " out of range");
    }
    List<SequencedRecord> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      SequencedRecord rec = RecordCodec.read(body, what + " record " + i);
      if (i > 0 && rec.seqNum() != out.get(i - 1).seqNum() + 1) {
        throw new CorruptObjectException(
            what + ": seq num " + rec.seqNum() + " does not follow " + out.get(i - 1).seqNum());
      }
      out.add(rec);
    }
    body.expectEnd("block records");
    return out;
  }

  private record Header(
      SegmentMeta meta, boolean monotonic, int length, int version, int minCompatibleVersion) {}

  private record Parsed(Header header, List<IndexEntry> index) {}

  private static Header readHeader(byte[] segment) {
    ByteReader r = new ByteReader(segment, 0, segment.length, "segment");
    ObjectFraming.Versions versions = ObjectFraming.readHeaderStart(r, "segment", MAGIC, VERSION);
    int headerLength = r.u31("header length");
    if (headerLength < HEADER_OVERHEAD || headerLength > segment.length) {
      throw new CorruptObjectException(
          "segment: header length "
              + headerLength
              + " out of range (object is "
              + segment.length
              + " bytes)");
    }
    ByteReader h = r.slice(r.position(), headerLength - CHECKSUM_LENGTH, "segment header");
    r.skip(headerLength - CHECKSUM_LENGTH - r.position(), "header");
    r.checkCrc32c(0, "header");
    int flags = h.u8("flags");
    long firstSeq = h.i64("first seq num");
    long lastSeq = h.i64("last seq num");
    long firstTs = h.i64("first timestamp");
    long lastTs = h.i64("last timestamp");
    int count = h.u31("record count");
    String streamId = h.shortString("stream id");
    if (firstSeq < 0 || lastSeq < firstSeq || lastSeq - firstSeq + 1 != count) {
      throw new CorruptObjectException(
          "segment header: seq nums "
              + firstSeq
              + ".."
              + lastSeq
              + " disagree with record count "
              + count);
    }
    return new Header(
        new SegmentMeta(streamId, firstSeq, lastSeq, firstTs, lastTs, count),
        (flags & FLAG_TIMESTAMPS_MONOTONIC) != 0,
        headerLength,
        versions.version(),
        versions.minCompatible());
  }

  private static Parsed parse(byte[] segment) {
    Trailer trailer = decodeTrailer(segment);
    int t = segment.length - TRAILER_BYTES;
    Header header = readHeader(segment);
    long footerOffset = trailer.indexOffset();
    if (footerOffset < header.length() || footerOffset + trailer.indexLength() != t) {
      throw new CorruptObjectException(
          "segment: index footer at ["
              + footerOffset
              + ", +"
              + trailer.indexLength()
              + ") does not end where the trailer starts ("
              + t
              + ")");
    }
    if (header.version() != trailer.version()
        || header.minCompatibleVersion() != trailer.minCompatibleVersion()) {
      throw new CorruptObjectException("segment: header and trailer versions differ");
    }
    List<IndexEntry> index = decodeIndex(segment, (int) footerOffset, t);
    SegmentMeta meta = header.meta();
    IndexEntry first = index.get(0);
    IndexEntry last = index.get(index.size() - 1);
    if (first.blockOffset() != header.length()
        || last.blockOffset() + last.blockLength() != footerOffset) {
      throw new CorruptObjectException(
          "segment: blocks do not fill the space between the header and the index");
    }
    if (first.firstSeqNum() != meta.firstSeqNum() || last.firstSeqNum() > meta.lastSeqNum()) {
      throw new CorruptObjectException("segment index: entries disagree with the header seq nums");
    }
    return new Parsed(header, index);
  }

  // ---------------------------------------------------------------- ranged reads

  /**
   * Decodes the trailer from the last {@link #TRAILER_BYTES} bytes of {@code bytes} (a suffix
   * ranged GET, or the whole segment).
   */
  public static Trailer decodeTrailer(byte[] bytes) {
    if (bytes.length < TRAILER_BYTES) {
      throw new CorruptObjectException(
          "segment: truncated, " + bytes.length + " bytes is shorter than the trailer");
    }
    int t = bytes.length - TRAILER_BYTES;
    int magic = ByteReader.getI32(bytes, t + TRAILER_MAGIC_OFFSET);
    if (magic != MAGIC) {
      throw new CorruptObjectException(
          "segment trailer: bad magic "
              + Integer.toHexString(magic)
              + " (not a segment, or truncated)");
    }
    ByteReader tr = new ByteReader(bytes, t, bytes.length, "segment trailer");
    long footerOffset = tr.i64("index offset");
    int footerLength = tr.u31("index length");
    int version = tr.u16("version");
    int minCompatible = tr.u16("minimum compatible version");
    FormatVersions.check("segment trailer", version, minCompatible, VERSION);
    tr.checkCrc32c(t, "trailer");
    if (footerOffset < HEADER_OVERHEAD || footerLength < INDEX_OVERHEAD + INDEX_ENTRY_BYTES) {
      throw new CorruptObjectException(
          "segment trailer: index at [" + footerOffset + ", +" + footerLength + ") out of range");
    }
    return new Trailer(version, minCompatible, footerOffset, footerLength);
  }

  /**
   * Decodes an index footer fetched on its own ({@link Trailer#indexOffset()}, length): one entry
   * per block, in order, the blocks adjacent to each other.
   */
  public static List<IndexEntry> decodeIndex(byte[] indexBytes) {
    return decodeIndex(indexBytes, 0, indexBytes.length);
  }

  private static List<IndexEntry> decodeIndex(byte[] bytes, int from, int to) {
    ByteReader fr = new ByteReader(bytes, from, to, "segment index");
    if (fr.remaining() < INDEX_OVERHEAD) {
      throw new CorruptObjectException("segment index: truncated, " + fr.remaining() + " bytes");
    }
    ByteReader body = fr.slice(from, to - CHECKSUM_LENGTH, "segment index");
    fr.skip(to - from - CHECKSUM_LENGTH, "index");
    fr.checkCrc32c(from, "index");
    int count = body.u31("entry count");
    if (count < 1 || (long) count * INDEX_ENTRY_BYTES != body.remaining()) {
      throw new CorruptObjectException(
          "segment index: " + count + " entries do not fill " + body.remaining() + " bytes");
    }
    List<IndexEntry> index = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long seq = body.i64("entry " + i + " seq num");
      long ts = body.i64("entry " + i + " timestamp");
      long off = body.i64("entry " + i + " block offset");
      int len = body.u31("entry " + i + " block length");
      IndexEntry previous = i == 0 ? null : index.get(i - 1);
      if (off < HEADER_OVERHEAD
          || len < BLOCK_OVERHEAD
          || off > Integer.MAX_VALUE - len
          || (previous != null
              && (off != previous.blockOffset() + previous.blockLength()
                  || seq <= previous.firstSeqNum()))) {
        throw new CorruptObjectException(
            "segment index: entry "
                + i
                + " (seq "
                + seq
                + ", block ["
                + off
                + ", +"
                + len
                + ")) out of order or place");
      }
      index.add(new IndexEntry(seq, ts, off, len));
    }
    return List.copyOf(index);
  }

  /**
   * The position in {@code index} of the block holding {@code seqNum}: the last block whose first
   * seq num is at most {@code seqNum}, or 0 when {@code seqNum} is before the first block.
   */
  public static int blockForSeqNum(List<IndexEntry> index, long seqNum) {
    int lo = 0;
    int hi = index.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (index.get(mid).firstSeqNum() <= seqNum) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * Decodes consecutive whole blocks fetched on their own, e.g. a ranged GET from an index entry's
   * block offset up to the index offset. Checks each block's checksum and that seq nums run on
   * without gaps.
   */
  public static List<SequencedRecord> decodeBlocks(byte[] blockBytes) {
    List<SequencedRecord> out = new ArrayList<>();
    int at = 0;
    while (at < blockBytes.length) {
      String what = "segment block at offset " + at + " of the range";
      ByteReader r = new ByteReader(blockBytes, at, blockBytes.length, what);
      int length = r.u31("block length");
      if (length > r.remaining() - CHECKSUM_LENGTH) {
        throw new CorruptObjectException(what + ": truncated, length field says " + length);
      }
      List<SequencedRecord> records = blockRecords(blockBytes, at, at + length + 8, what);
      if (!out.isEmpty() && records.get(0).seqNum() != out.get(out.size() - 1).seqNum() + 1) {
        throw new CorruptObjectException(what + ": seq nums do not follow the previous block");
      }
      out.addAll(records);
      at += length + BLOCK_LENGTH_LENGTH + CHECKSUM_LENGTH;
    }
    return out;
  }
}
