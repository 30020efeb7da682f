package io.millrace.format;

import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The record encoding shared by WAL chunk sections and segment blocks (docs/formats/record.md).
 * Version 1; the record carries no version of its own, the enclosing object's version governs it.
 *
 * <pre>
 * field           encoding                     notes
 * length          uvarint                      bytes of the record after this field
 * seqNum          uvarint (all 64 bits)        unsigned
 * timestamp       uvarint (all 64 bits)        unsigned, milliseconds
 * headerCount     uvarint                      0..n
 * headers[i]      nameLength uvarint, name,    raw bytes; empty names and values allowed
 *                 valueLength uvarint, value   (a command record has one header with an empty name)
 * bodyLength      uvarint
 * body            bodyLength bytes             raw bytes, may be empty
 * (extension)     length - (bytes above)       empty in version 1; a reader skips it
 * </pre>
 *
 * <p>uvarint is unsigned LEB128: 7 bits per byte, least significant group first, high bit set on
 * every byte but the last; at most 10 bytes. Every length is checked against the bytes that are
 * left, so a corrupt length never allocates or reads past the record. The encoding has no checksum
 * of its own: the enclosing section or block's CRC32C covers it.
 */
public final class RecordCodec {
  private RecordCodec() {}

  /** The largest encoding of one uvarint. */
  public static final int MAX_VARINT_BYTES = 10;

  /** Encodes one record on its own (its length prefix included). */
  public static byte[] encode(SequencedRecord record) {
    ByteWriter w = new ByteWriter(encodedSize(record));
    write(w, record);
    return w.toByteArray();
  }

  /** Decodes exactly one record spanning all of {@code bytes}. */
  public static SequencedRecord decode(byte[] bytes) {
    ByteReader r = new ByteReader(bytes, 0, bytes.length, "record");
    SequencedRecord record = read(r, "record");
    r.expectEnd("record");
    return record;
  }

  /** The number of bytes {@link #encode} produces for {@code record}. */
  public static int encodedSize(SequencedRecord record) {
    long inner = innerSize(record);
    return (int) (varintSize(inner) + inner);
  }

  private static long innerSize(SequencedRecord record) {
    long n = varintSize(record.seqNum()) + varintSize(record.timestamp());
    n += varintSize(record.headers().size());
    for (Header h : record.headers()) {
      n += varintSize(h.name().length) + h.name().length;
      n += varintSize(h.value().length) + h.value().length;
    }
    n += varintSize(record.body().length) + record.body().length;
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("record too large to encode: " + n + " bytes");
    }
    return n;
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      n++;
      v >>>= 7;
    }
    return n;
  }

  static void write(ByteWriter w, SequencedRecord record) {
    w.uvarint(innerSize(record));
    w.uvarint(record.seqNum());
    w.uvarint(record.timestamp());
    w.uvarint(record.headers().size());
    for (Header h : record.headers()) {
      w.lengthPrefixed(h.name());
      w.lengthPrefixed(h.value());
    }
    w.lengthPrefixed(record.body());
  }

  /** Reads one record; {@code what} names the record in error messages. */
  static SequencedRecord read(ByteReader in, String what) {
    int length = in.uvarintLength(what + " length");
    int start = in.position();
    int end = start + length;
    ByteReader r = in.slice(start, end, what);
    long seqNum = r.uvarint("seq num");
    long timestamp = r.uvarint("timestamp");
    // Each header needs at least two bytes (two zero lengths).
    int headerCount = r.uvarintLength("header count");
    if (headerCount > r.remaining() / 2) {
      throw new CorruptObjectException(
          what + ": header count " + headerCount + " does not fit in " + r.remaining() + " bytes");
    }
    List<Header> headers = new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      byte[] name = r.bytes(r.uvarintLength("header " + i + " name length"), "header name");
      byte[] value = r.bytes(r.uvarintLength("header " + i + " value length"), "header value");
      headers.add(new Header(name, value));
    }
    byte[] body = r.bytes(r.uvarintLength("body length"), "body");
    // Bytes left inside the record length are an extension of a later version: skip them.
    in.skip(length, what);
    return new SequencedRecord(seqNum, timestamp, headers, body);
  }
}
