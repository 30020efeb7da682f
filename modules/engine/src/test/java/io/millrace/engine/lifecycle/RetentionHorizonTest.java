package io.millrace.engine.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.SegmentRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionHorizonTest {
  private static SegmentRecord segment(long first, long last, long firstTs, long lastTs) {
    return new SegmentRecord("s", first, last, firstTs, lastTs, "segments/s/" + first, 10);
  }

  private static SequencedRecord record(long seq, long ts) {
    return new SequencedRecord(seq, ts, List.of(), new byte[] {1});
  }

  @Test
  void infiniteRetentionHasNoCutoffAndKeepsEverything() {
    assertThat(RetentionHorizon.cutoff(null, 1_000_000)).isEqualTo(RetentionHorizon.NONE);
    assertThat(RetentionHorizon.firstRetained(RetentionHorizon.NONE, List.of(), List.of(), 9))
        .isZero();
    assertThat(RetentionHorizon.expired(segment(0, 1, 0, 1), RetentionHorizon.NONE)).isFalse();
  }

  @Test
  void theCutoffIsTheAgeBeforeNowAndHugeAgesDoNotOverflow() {
    assertThat(RetentionHorizon.cutoff(10L, 100_000)).isEqualTo(90_000);
    long huge = RetentionHorizon.cutoff(Long.MAX_VALUE, 100_000);
    assertThat(huge).isLessThan(0);
    assertThat(RetentionHorizon.expired(segment(0, 1, 0, 0), huge)).isFalse();
  }

  @Test
  void aSegmentIsExpiredOnlyOnceItsNewestRecordIs() {
    assertThat(RetentionHorizon.expired(segment(0, 4, 100, 199), 200)).isTrue();
    assertThat(RetentionHorizon.expired(segment(0, 4, 100, 200), 200)).isFalse();
  }

  @Test
  void theFirstRetainedSeqNumIsInTheFirstUnexpiredSegmentThenInMemoryThenTheTail() {
    List<SegmentRecord> segs = List.of(segment(0, 4, 100, 104), segment(5, 9, 105, 109));
    List<SequencedRecord> memory = List.of(record(10, 110), record(11, 111));

    assertThat(RetentionHorizon.firstRetained(107, segs, memory, 12)).isEqualTo(5);
    assertThat(RetentionHorizon.firstRetained(111, segs, memory, 12)).isEqualTo(11);
    assertThat(RetentionHorizon.firstRetained(112, segs, memory, 12)).isEqualTo(12);
  }
}
