package io.millrace.format;

import static io.millrace.format.Fixtures.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentCodecTest {

  @Test
  void segmentDecodesToTheSameRecordsAndHeader() {
    List<SequencedRecord> records = run(100, 5000, 50);

    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
    assertThat(SegmentCodec.readMeta(bytes))
        .isEqualTo(new SegmentMeta("s-1", 100, 149, 5000, 5490, 50));
  }

  @Test
  void randomSegmentsRoundTripWithAnyBlockSize() {
    RandomRecords gen = new RandomRecords(11);
    for (int i = 0; i < 150; i++) {
      List<SequencedRecord> records = gen.run(1 + gen.nextInt(60));
      String id = gen.id();

      byte[] bytes = SegmentCodec.encode(id, records, 1 + gen.nextInt(10), 1 + gen.nextInt(3000));

      assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
      SequencedRecord first = records.get(0);
      SequencedRecord last = records.get(records.size() - 1);
      assertThat(SegmentCodec.readMeta(bytes))
          .isEqualTo(
              new SegmentMeta(
                  id,
                  first.seqNum(),
                  last.seqNum(),
                  first.timestamp(),
                  last.timestamp(),
                  records.size()));
    }
  }

  @Test
  void theSizeComputedBeforeEncodingIsExactlyTheSegmentLengthForAnyBlockLimits() {
    // The encoder sizes its buffer with encodedSize so that the segment is not copied once more.
    RandomRecords gen = new RandomRecords(13);
    for (int i = 0; i < 150; i++) {
      List<SequencedRecord> records = gen.run(1 + gen.nextInt(60));
      String id = i % 2 == 0 ? gen.id() : "流-" + gen.id();
      int maxRecords = 1 + gen.nextInt(10);
      int targetBytes = 1 + gen.nextInt(3000);

      byte[] bytes = SegmentCodec.encode(id, records, maxRecords, targetBytes);

      assertThat(SegmentCodec.encodedSize(id, records, maxRecords, targetBytes))
          .isEqualTo(bytes.length);
      assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
    }
  }

  @Test
  void defaultBlockSizeRoundTripsALargeSegment() {
    List<SequencedRecord> records = new RandomRecords(5).run(3000);

    byte[] bytes = SegmentCodec.encode("big", records);

    assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
    assertThat(SegmentCodec.decodeFrom(bytes, records.get(2500).seqNum()))
        .isEqualTo(records.subList(2500, 3000));
  }

  @Test
  void decodeFromEverySeqNumStartsAtThatRecord() {
    List<SequencedRecord> records = run(100, 5000, 50);
    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    for (int i = 0; i < records.size(); i++) {
      assertThat(SegmentCodec.decodeFrom(bytes, 100 + i))
          .as("from seq %d", 100 + i)
          .isEqualTo(records.subList(i, records.size()));
    }
    assertThat(SegmentCodec.decodeFrom(bytes, 0)).isEqualTo(records);
    assertThat(SegmentCodec.decodeFrom(bytes, 150)).isEmpty();
  }

  @Test
  void decodeFromTimestampStartsAtFirstRecordAtOrAfterIt() {
    List<SequencedRecord> records = run(100, 5000, 50);
    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    // 5000 + 10 * 23 = 5230 is record 23; 5225 falls between records 22 and 23.
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 5225)).isEqualTo(records.subList(23, 50));
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 5230)).isEqualTo(records.subList(23, 50));
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 0)).isEqualTo(records);
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 5490)).isEqualTo(records.subList(49, 50));
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 5491)).isEmpty();
  }

  @Test
  void decodeFromTimestampWithRepeatedTimestampsStartsAtTheFirstOfThem() {
    List<SequencedRecord> records = new RandomRecords(21).run(200);
    byte[] bytes = SegmentCodec.encode("s", records, 4, 1 << 20);
    long firstTs = records.get(0).timestamp();
    long lastTs = records.get(records.size() - 1).timestamp();

    for (long ts = firstTs - 1; ts <= lastTs + 1; ts++) {
      assertThat(SegmentCodec.decodeFromTimestamp(bytes, ts))
          .as("from timestamp %d", ts)
          .isEqualTo(fromTimestampByScan(records, ts));
    }
  }

  @Test
  void decodeFromTimestampScansWhenTimestampsDecrease() {
    List<SequencedRecord> records = new ArrayList<>();
    long[] timestamps = {50, 10, 70, 20, 90, 30, 15, 100};
    for (int i = 0; i < timestamps.length; i++) {
      records.add(Fixtures.record(i, timestamps[i], "r" + i));
    }
    byte[] bytes = SegmentCodec.encode("s", records, 2, 1 << 20);

    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 60)).isEqualTo(records.subList(2, 8));
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 95)).isEqualTo(records.subList(7, 8));
    assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
  }

  @Test
  void decodeFromReadsOnlyTheBlocksFromTheOneHoldingTheSeqNum() {
    List<SequencedRecord> records = run(0, 0, 40);
    byte[] bytes = SegmentCodec.encode("s", records, 10, 1 << 20);
    int firstBlockBody = Bytes.headerLength(bytes) + 12;

    byte[] corrupt = Bytes.flip(bytes, firstBlockBody);

    Bytes.assertCorrupt(() -> SegmentCodec.decode(corrupt), "block");
    assertThat(SegmentCodec.decodeFrom(corrupt, 25)).isEqualTo(records.subList(25, 40));
    assertThat(SegmentCodec.decodeFromTimestamp(corrupt, 300)).isEqualTo(records.subList(30, 40));
  }

  @Test
  void rangedReadOfTrailerThenIndexThenBlocksFindsTheSeqNum() {
    List<SequencedRecord> records = run(1000, 0, 45);
    byte[] object = SegmentCodec.encode("s", records, 10, 1 << 20);

    SegmentCodec.Trailer trailer =
        SegmentCodec.decodeTrailer(
            Bytes.slice(
                object, object.length - SegmentCodec.TRAILER_BYTES, SegmentCodec.TRAILER_BYTES));
    List<SegmentCodec.IndexEntry> index =
        SegmentCodec.decodeIndex(Bytes.slice(object, trailer.indexOffset(), trailer.indexLength()));
    int block = SegmentCodec.blockForSeqNum(index, 1033);
    SegmentCodec.IndexEntry entry = index.get(block);
    List<SequencedRecord> fromBlock =
        SegmentCodec.decodeBlocks(
            Bytes.slice(object, entry.blockOffset(), trailer.indexOffset() - entry.blockOffset()));
    List<SequencedRecord> oneBlock =
        SegmentCodec.decodeBlocks(Bytes.slice(object, entry.blockOffset(), entry.blockLength()));

    assertThat(index)
        .extracting(SegmentCodec.IndexEntry::firstSeqNum)
        .containsExactly(1000L, 1010L, 1020L, 1030L, 1040L);
    assertThat(block).isEqualTo(3);
    assertThat(fromBlock).isEqualTo(records.subList(30, 45));
    assertThat(oneBlock).isEqualTo(records.subList(30, 40));
    assertThat(SegmentCodec.blockForSeqNum(index, 5)).isZero();
    assertThat(SegmentCodec.blockForSeqNum(index, 1049)).isEqualTo(4);
  }

  @Test
  void rangedBlocksCutShortOrFlippedAreDetected() {
    List<SequencedRecord> records = run(0, 0, 9);
    byte[] object = SegmentCodec.encode("s", records, 3, 1 << 20);
    SegmentCodec.Trailer trailer = SegmentCodec.decodeTrailer(object);
    int h = Bytes.headerLength(object);
    byte[] blocks = Bytes.slice(object, h, trailer.indexOffset() - h);
    int blockBytes = blocks.length / 3;

    for (int n = 1; n < blocks.length; n++) {
      byte[] cut = Arrays.copyOf(blocks, n);
      if (n % blockBytes == 0) {
        // A range ending on a block boundary is a shorter, whole range of blocks.
        assertThat(SegmentCodec.decodeBlocks(cut))
            .isEqualTo(records.subList(0, 3 * n / blockBytes));
      } else {
        assertThatThrownBy(() -> SegmentCodec.decodeBlocks(cut))
            .as("cut to %d of %d bytes", n, blocks.length)
            .isInstanceOf(CorruptObjectException.class);
      }
    }
    Bytes.assertEveryFlipIsCorrupt(blocks, SegmentCodec::decodeBlocks);
  }

  @Test
  void blocksCloseAtTheTargetBytes() {
    List<SequencedRecord> records = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      records.add(new SequencedRecord(i, i, List.of(), new byte[100]));
    }

    byte[] oneBlock = SegmentCodec.encode("s", records, 1000, 1 << 20);
    byte[] smallBlocks = SegmentCodec.encode("s", records, 1000, 250);

    // 105-byte records, closed at >= 250 bytes: blocks of 3 records, 7 blocks instead of 1.
    int perBlockOverhead = SegmentCodec.BLOCK_OVERHEAD + SegmentCodec.INDEX_ENTRY_BYTES;
    assertThat(smallBlocks.length - oneBlock.length).isEqualTo(6 * perBlockOverhead);
    assertThat(SegmentCodec.decode(smallBlocks)).isEqualTo(records);
  }

  @Test
  void flippingAnyByteOfASegmentIsDetected() {
    byte[] bytes = SegmentCodec.encode("s-1", run(100, 5000, 7), 3, 1 << 20);
    Bytes.assertEveryFlipIsCorrupt(bytes, SegmentCodec::decode);
  }

  @Test
  void truncatingASegmentAtAnyPositionIsDetected() {
    byte[] bytes = SegmentCodec.encode("s-1", run(100, 5000, 7), 3, 1 << 20);
    Bytes.assertEveryTruncationIsCorrupt(bytes, SegmentCodec::decode);
    Bytes.assertEveryTruncationIsCorrupt(bytes, b -> SegmentCodec.decodeFrom(b, 105));
  }

  @Test
  void readMetaDetectsAFlippedHeaderByte() {
    byte[] bytes = SegmentCodec.encode("s-1", run(100, 5000, 7), 3, 1 << 20);
    Bytes.assertEveryFlipIsCorrupt(bytes, 0, Bytes.headerLength(bytes), SegmentCodec::readMeta);
  }

  @Test
  void segmentNeedingANewerReaderIsRejectedSayingSo() {
    byte[] bytes = SegmentCodec.encode("s-1", run(100, 5000, 7), 3, 1 << 20);
    byte[] newer = Bytes.withVersions(bytes, SegmentCodec.TRAILER_BYTES, 2, 2);

    Bytes.assertCorrupt(() -> SegmentCodec.decode(newer), "needs a reader of version 2");
    Bytes.assertCorrupt(() -> SegmentCodec.readMeta(newer), "needs a reader of version 2");
  }

  @Test
  void segmentFromANewerWriterThatKeepsVersionOneCompatibleStillDecodes() {
    List<SequencedRecord> records = run(100, 5000, 7);
    byte[] newer =
        Bytes.withVersions(
            SegmentCodec.encode("s-1", records, 3, 1 << 20), SegmentCodec.TRAILER_BYTES, 4, 1);

    assertThat(SegmentCodec.decode(newer)).isEqualTo(records);
  }

  @Test
  void segmentWithHeaderExtensionBytesFromANewerWriterStillDecodes() {
    List<SequencedRecord> records = run(100, 5000, 7);
    byte[] segment = SegmentCodec.encode("s-1", records, 3, 1 << 20);
    int h = Bytes.headerLength(segment);
    byte[] extra = {1, 2, 3};

    byte[] b = Bytes.insert(segment, h - ObjectFraming.CHECKSUM_LENGTH, extra);
    Bytes.putI32(b, ObjectFraming.HEADER_LENGTH_OFFSET, h + extra.length);
    Bytes.fixCrc(b, 0, h + extra.length - ObjectFraming.CHECKSUM_LENGTH);
    int t = b.length - SegmentCodec.TRAILER_BYTES;
    int footerOffset = (int) Bytes.getI64(b, t) + extra.length;
    Bytes.putI64(b, t, footerOffset);
    for (int i = 0; i < 3; i++) {
      int at =
          footerOffset
              + SegmentCodec.INDEX_COUNT_LENGTH
              + i * SegmentCodec.INDEX_ENTRY_BYTES
              + SegmentCodec.INDEX_ENTRY_BLOCK_OFFSET_OFFSET;
      Bytes.putI64(b, at, Bytes.getI64(b, at) + extra.length);
    }
    Bytes.fixCrc(b, footerOffset, t - ObjectFraming.CHECKSUM_LENGTH);
    byte[] newer = Bytes.withVersions(b, SegmentCodec.TRAILER_BYTES, 2, 1);

    assertThat(SegmentCodec.decode(newer)).isEqualTo(records);
    assertThat(SegmentCodec.decodeFrom(newer, 104)).isEqualTo(records.subList(4, 7));
    assertThat(SegmentCodec.readMeta(newer).recordCount()).isEqualTo(7);
  }

  @Test
  void encodingRefusesGapsAndEmptySegments() {
    List<SequencedRecord> gap = List.of(Fixtures.record(1, 0, "a"), Fixtures.record(3, 0, "b"));

    assertThatThrownBy(() -> SegmentCodec.encode("s", gap))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SegmentCodec.encode("s", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void objectKeyUsesTwentyDigitSeqNums() {
    assertThat(SegmentCodec.objectKey("st", 5, 99))
        .isEqualTo("segments/st/00000000000000000005-00000000000000000099");
  }

  private static List<SequencedRecord> fromTimestampByScan(List<SequencedRecord> records, long ts) {
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).timestamp() >= ts) {
        return records.subList(i, records.size());
      }
    }
    return List.of();
  }
}
