package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.SegmentRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnflushedRecordsTest {
  private final UnflushedRecords memory = new UnflushedRecords("s");

  private static SequencedRecord record(long seqNum) {
    return new SequencedRecord(seqNum, 1000, List.of(), new byte[10]);
  }

  private static SegmentRecord segment(long first, long last) {
    return new SegmentRecord("s", first, last, 1000, 1000, "segments/s/" + first, 100);
  }

  @Test
  void theAgeCountsFromTheOldestUnflushedRecord() {
    memory.add(List.of(record(0)), 1_000);
    memory.add(List.of(record(1)), 5_000);

    assertThat(memory.olderThan(4_000, 4_999)).isFalse();
    assertThat(memory.olderThan(4_000, 5_000)).isTrue();
  }

  @Test
  void aFlushedSegmentDropsItsRecordsFromTheHead() {
    memory.add(List.of(record(0), record(1), record(2)), 1_000);
    long bytes = memory.bytes();

    memory.flushed(segment(0, 1), 2_000);

    assertThat(memory.view()).extracting(SequencedRecord::seqNum).containsExactly(2L);
    assertThat(memory.bytes()).isEqualTo(bytes / 3);
    assertThat(memory.olderThan(1_000, 2_999)).isFalse();
  }

  @Test
  void aFlushedSegmentThatIsNotTheHeadIsAnInvariantBreach() {
    memory.add(List.of(record(0), record(1)), 1_000);

    assertThatThrownBy(() -> memory.flushed(segment(1, 1), 2_000))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("stream s");
  }
}
