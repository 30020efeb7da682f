package io.millrace.format;

import static io.millrace.format.Fixtures.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentCodecTest {

  @Test
  void segmentDecodesToTheSameRecords() {
    List<SequencedRecord> records = run(100, 5000, 50);

    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    assertThat(SegmentCodec.decode(bytes)).isEqualTo(records);
    assertThat(SegmentCodec.readMeta(bytes))
        .isEqualTo(new SegmentMeta("s-1", 100, 149, 5000, 5490, 50));
  }

  @Test
  void decodeFromSeqNumStartsAtThatRecord() {
    List<SequencedRecord> records = run(100, 5000, 50);
    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    assertThat(SegmentCodec.decodeFrom(bytes, 117)).isEqualTo(records.subList(17, 50));
  }

  @Test
  void decodeFromTimestampStartsAtFirstRecordAtOrAfterIt() {
    List<SequencedRecord> records = run(100, 5000, 50);
    byte[] bytes = SegmentCodec.encode("s-1", records, 8, 1 << 20);

    // 5000 + 10 * 23 = 5230 is record 23; 5225 falls between records 22 and 23.
    assertThat(SegmentCodec.decodeFromTimestamp(bytes, 5225)).isEqualTo(records.subList(23, 50));
  }
}
