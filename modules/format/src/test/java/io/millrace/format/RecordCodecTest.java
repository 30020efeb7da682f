package io.millrace.format;

import static io.millrace.format.Fixtures.fence;
import static io.millrace.format.Fixtures.trim;
import static io.millrace.format.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  @Test
  void arbitraryRecordsRoundTrip() {
    RandomRecords gen = new RandomRecords(1);
    for (int i = 0; i < 2000; i++) {
      SequencedRecord record = gen.anyRecord();
      byte[] bytes = RecordCodec.encode(record);
      assertThat(bytes).hasSize(RecordCodec.encodedSize(record));
      assertThat(RecordCodec.decode(bytes)).isEqualTo(record);
    }
  }

  @Test
  void emptyNamesValuesAndBodiesRoundTrip() {
    SequencedRecord record =
        new SequencedRecord(
            0,
            0,
            List.of(new Header(new byte[0], new byte[0]), new Header(new byte[0], new byte[0])),
            new byte[0]);

    assertThat(RecordCodec.decode(RecordCodec.encode(record))).isEqualTo(record);
  }

  @Test
  void commandRecordsRoundTrip() {
    for (SequencedRecord record : List.of(fence(5, 9, "token-1"), fence(6, 9, ""), trim(7, 9, 3))) {
      assertThat(RecordCodec.decode(RecordCodec.encode(record))).isEqualTo(record);
    }
  }

  @Test
  void largestSeqNumAndTimestampRoundTrip() {
    SequencedRecord record = new SequencedRecord(-1L, Long.MIN_VALUE, List.of(), utf8("x"));

    assertThat(RecordCodec.decode(RecordCodec.encode(record))).isEqualTo(record);
  }

  @Test
  void smallRecordIsEncodedAsDocumented() {
    SequencedRecord record =
        new SequencedRecord(5, 300, List.of(new Header(utf8("k"), new byte[0])), utf8("hi"));

    // length 10, seq 5, timestamp 300 = 0xAC 0x02, 1 header: name "k", empty value; body "hi".
    assertThat(RecordCodec.encode(record))
        .containsExactly(10, 5, 0xAC - 256, 0x02, 1, 1, 'k', 0, 2, 'h', 'i');
  }

  @Test
  void everyTruncationIsReportedAsCorrupt() {
    SequencedRecord record =
        new SequencedRecord(
            300, 70000, List.of(new Header(utf8("name"), utf8("value"))), utf8("body bytes"));
    byte[] bytes = RecordCodec.encode(record);
    Bytes.assertEveryTruncationIsCorrupt(bytes, RecordCodec::decode);
  }

  @Test
  void headerCountLargerThanTheRecordIsCorruptNotAnAllocation() {
    // length 4, seq 0, ts 0, header count 2^28 (4-byte varint would not fit).
    byte[] bytes = {6, 0, 0, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};

    Bytes.assertCorrupt(() -> RecordCodec.decode(bytes), "header count");
  }

  @Test
  void varintLongerThanTenBytesIsCorrupt() {
    byte[] bytes = new byte[12];
    bytes[0] = 11;
    Arrays.fill(bytes, 1, 12, (byte) 0x80);

    Bytes.assertCorrupt(() -> RecordCodec.decode(bytes), "seq num");
  }

  @Test
  void bytesAfterTheBodyInsideTheRecordLengthAreSkippedAsAnExtension() {
    SequencedRecord record = new SequencedRecord(1, 2, List.of(), utf8("abc"));
    byte[] plain = RecordCodec.encode(record);
    byte[] extended = Arrays.copyOf(plain, plain.length + 2);
    extended[0] = (byte) (plain[0] + 2);
    extended[plain.length] = 0x7F;
    extended[plain.length + 1] = 0x01;

    assertThat(RecordCodec.decode(extended)).isEqualTo(record);
  }
}
