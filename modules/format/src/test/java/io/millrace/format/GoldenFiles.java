package io.millrace.format;

import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The contents of the committed version-1 golden objects under {@code src/test/resources/golden/},
 * written out literally, and the generator that wrote them once.
 *
 * <p>Never regenerate the existing files: they stand for objects already in object stores. A new
 * format version adds new golden files next to them (e.g. {@code wal-chunk-v2.bin}).
 *
 * <p>Generator: {@code java -cp modules/format/target/test-classes:modules/format/target/classes:
 * modules/core/target/classes io.millrace.format.GoldenFiles
 * modules/format/src/test/resources/golden}
 */
final class GoldenFiles {
  private GoldenFiles() {}

  static final String CHUNK_V1 = "wal-chunk-v1.bin";
  static final String SEAL_V1 = "wal-seal-v1.bin";
  static final String SEGMENT_V1 = "segment-v1.bin";

  static final String CHANNEL_ID = "node-a.chan-3.01J9Z";
  static final long CHUNK_SEQ = 41;

  static final List<StreamSection> CHUNK_SECTIONS =
      List.of(
          new StreamSection(
              "stream-0001",
              2,
              List.of(
                  new SequencedRecord(
                      0,
                      1_700_000_000_000L,
                      List.of(new Header(bytes("content-type"), bytes("text/plain"))),
                      bytes("hello")),
                  new SequencedRecord(
                      1,
                      1_700_000_000_000L,
                      List.of(),
                      new byte[] {0x00, (byte) 0xFF, 0x7F, (byte) 0x80, 0x0A, 0x0D}),
                  new SequencedRecord(
                      2,
                      1_700_000_000_005L,
                      List.of(
                          new Header(bytes("k"), new byte[0]),
                          new Header(new byte[] {(byte) 0xC3, 0x28}, new byte[] {0x00})),
                      new byte[0]))),
          new StreamSection(
              "stream-0002",
              7,
              List.of(
                  new SequencedRecord(
                      300,
                      1_700_000_001_000L,
                      List.of(new Header(new byte[0], CommandRecords.FENCE)),
                      bytes("writer-b")),
                  new SequencedRecord(
                      301,
                      1_700_000_001_000L,
                      List.of(new Header(new byte[0], CommandRecords.TRIM)),
                      new byte[] {0, 0, 0, 0, 0, 0, 0x01, 0x2C}),
                  new SequencedRecord(302, 1_700_000_001_001L, List.of(), binary(200)))),
          new StreamSection(
              "stream-0003",
              0,
              List.of(new SequencedRecord(Long.MAX_VALUE - 1, 0, List.of(), bytes("last")))));

  static final String SEAL_CHANNEL_ID = "node-b.chan-0.01J9Y";
  static final long SEAL_CHUNK_SEQ = 1_000_000;

  static final String SEGMENT_STREAM_ID = "stream-0001";

  /** Ten records 100..109, timestamps 5000, 5000, 5010, ..., blocks of 4 records. */
  static final List<SequencedRecord> SEGMENT_RECORDS =
      List.of(
          new SequencedRecord(100, 5000, List.of(), bytes("r100")),
          new SequencedRecord(
              101, 5000, List.of(new Header(bytes("h"), bytes("1"))), bytes("r101")),
          new SequencedRecord(102, 5010, List.of(), new byte[] {0x00}),
          new SequencedRecord(
              103,
              5020,
              List.of(new Header(new byte[0], CommandRecords.FENCE)),
              bytes("fence-token")),
          new SequencedRecord(104, 5030, List.of(), new byte[0]),
          new SequencedRecord(105, 5040, List.of(), binary(130)),
          new SequencedRecord(106, 5040, List.of(), bytes("r106")),
          new SequencedRecord(107, 5050, List.of(), bytes("r107")),
          new SequencedRecord(108, 5060, List.of(), bytes("r108")),
          new SequencedRecord(109, 5070, List.of(), bytes("r109")));

  static final int SEGMENT_BLOCK_MAX_RECORDS = 4;

  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Bytes 0, 1, ..., 255, 0, ... of the given length. */
  static byte[] binary(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  static byte[] chunkV1() {
    return WalChunkCodec.encodeChunk(CHANNEL_ID, CHUNK_SEQ, CHUNK_SECTIONS);
  }

  static byte[] sealV1() {
    return WalChunkCodec.encodeSeal(SEAL_CHANNEL_ID, SEAL_CHUNK_SEQ);
  }

  static byte[] segmentV1() {
    return SegmentCodec.encode(
        SEGMENT_STREAM_ID, SEGMENT_RECORDS, SEGMENT_BLOCK_MAX_RECORDS, 1 << 20);
  }

  /** Writes the version-1 golden files into the directory given as the only argument. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    write(dir.resolve(CHUNK_V1), chunkV1());
    write(dir.resolve(SEAL_V1), sealV1());
    write(dir.resolve(SEGMENT_V1), segmentV1());
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    if (Files.exists(file)) {
      throw new IOException(file + " exists: golden files are never rewritten");
    }
    Files.write(file, bytes);
  }
}
