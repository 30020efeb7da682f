package io.millrace.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.S2Exception;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadRulesTest {
  private static final StreamPosition TAIL = new StreamPosition(10, 500);

  private static ReadRequest req(ReadStart start, boolean clamp, Integer wait) {
    return new ReadRequest(start, clamp, null, null, null, wait);
  }

  @Test
  void startPastTheTailIsRangeNotSatisfiableWithTheTail() {
    assertThat(ReadRules.resolve(req(new ReadStart.SeqNum(11), false, null), TAIL, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(TAIL));
    assertThat(ReadRules.resolve(req(new ReadStart.Timestamp(501), false, null), TAIL, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(TAIL));
  }

  @Test
  void clampedStartPastTheTailWithoutWaitIsStillRangeNotSatisfiable() {
    assertThat(ReadRules.resolve(req(new ReadStart.SeqNum(99), true, null), TAIL, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(TAIL));
  }

  @Test
  void clampedStartPastTheTailWithWaitWaitsAtTheTail() {
    assertThat(ReadRules.resolve(req(new ReadStart.SeqNum(99), true, 2), TAIL, 0))
        .isEqualTo(new ReadRules.AwaitTail(2000));
  }

  @Test
  void defaultStartIsTheTailSoAUnaryReadWithoutWaitIs416() {
    assertThat(ReadRules.resolve(req(null, false, null), TAIL, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(TAIL));
    assertThat(ReadRules.resolve(req(null, false, 0), TAIL, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(TAIL));
  }

  @Test
  void emptyStreamReadFromZeroIs416() {
    assertThat(ReadRules.resolve(req(new ReadStart.SeqNum(0), false, null), StreamPosition.ZERO, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(StreamPosition.ZERO));
    assertThat(
            ReadRules.resolve(req(new ReadStart.Timestamp(0), false, null), StreamPosition.ZERO, 0))
        .isEqualTo(new ReadRules.NotSatisfiable(StreamPosition.ZERO));
  }

  @Test
  void tailOffsetSaturatesAtZero() {
    assertThat(ReadRules.resolve(req(new ReadStart.TailOffset(100), false, null), TAIL, 0))
        .isEqualTo(new ReadRules.CatchUp(0L, null, 0));
    assertThat(ReadRules.resolve(req(new ReadStart.TailOffset(3), false, null), TAIL, 0))
        .isEqualTo(new ReadRules.CatchUp(7L, null, 0));
  }

  @Test
  void readsInsideTheTrimmedRangeStartAtTheTrimPoint() {
    assertThat(ReadRules.resolve(req(new ReadStart.SeqNum(2), false, null), TAIL, 6))
        .isEqualTo(new ReadRules.CatchUp(6L, null, 6));
  }

  @Test
  void timestampStartAtOrBeforeTheLastRecordReadsByTimestamp() {
    assertThat(ReadRules.resolve(req(new ReadStart.Timestamp(500), false, null), TAIL, 0))
        .isEqualTo(new ReadRules.CatchUp(null, 500L, 0));
  }

  @Test
  void zeroCountIsAnEmptyBatch() {
    ReadRequest r = new ReadRequest(new ReadStart.SeqNum(0), false, 0L, null, null, null);
    assertThat(ReadRules.resolve(r, TAIL, 0)).isEqualTo(new ReadRules.Empty());
  }

  @Test
  void untilAtOrBeforeATimestampStartIsInvalid() {
    ReadRequest r = new ReadRequest(new ReadStart.Timestamp(50), false, null, null, 50L, null);
    assertThatThrownBy(() -> ReadRules.validate(r)).isInstanceOf(S2Exception.class);
  }

  private static SequencedRecord rec(long seq, long ts, int bodyLen) {
    return new SequencedRecord(seq, ts, List.of(), new byte[bodyLen]);
  }

  @Test
  void collectorStopsAtCountBytesAndUntilWithoutSplittingRecords() {
    ReadRules.Collector byCount = new ReadRules.Collector(2, Long.MAX_VALUE, null);
    assertThat(byCount.offer(rec(0, 1, 1))).isTrue();
    assertThat(byCount.offer(rec(1, 1, 1))).isTrue();
    assertThat(byCount.offer(rec(2, 1, 1))).isFalse();
    assertThat(byCount.records()).hasSize(2);

    ReadRules.Collector byBytes = new ReadRules.Collector(100, 25, null);
    assertThat(byBytes.offer(rec(0, 1, 10))).isTrue(); // 18 bytes metered
    assertThat(byBytes.offer(rec(1, 1, 10))).isFalse(); // would be 36
    assertThat(byBytes.records()).hasSize(1);

    ReadRules.Collector byUntil = new ReadRules.Collector(100, Long.MAX_VALUE, 5L);
    assertThat(byUntil.offer(rec(0, 4, 1))).isTrue();
    assertThat(byUntil.offer(rec(1, 5, 1))).isFalse();
    assertThat(byUntil.records()).extracting(SequencedRecord::seqNum).containsExactly(0L);
  }
}
