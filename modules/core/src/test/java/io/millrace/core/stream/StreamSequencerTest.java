package io.millrace.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StreamSequencerTest {
  private static final long NOW = 1_000_000L;

  private static AppendRecord rec(Long ts, String body) {
    return new AppendRecord(ts, List.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  private static AppendInput batch(AppendRecord... records) {
    return new AppendInput(List.of(records), null, null);
  }

  private static StreamSequencer.Accepted accept(StreamSequencer.Decision d) {
    assertThat(d).isInstanceOf(StreamSequencer.Accepted.class);
    return (StreamSequencer.Accepted) d;
  }

  @Test
  void assignsDenseSeqNumsAcrossPipelinedBatches() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    var a = accept(s.sequence(batch(rec(null, "a"), rec(null, "b")), null, false, NOW));
    var b = accept(s.sequence(batch(rec(null, "c")), null, false, NOW));
    assertThat(a.records()).extracting(SequencedRecord::seqNum).containsExactly(0L, 1L);
    assertThat(b.records()).extracting(SequencedRecord::seqNum).containsExactly(2L);
    assertThat(a.ack().start()).isEqualTo(new StreamPosition(0, NOW));
    assertThat(a.ack().end()).isEqualTo(new StreamPosition(2, NOW));
    assertThat(s.assigned().nextSeqNum()).isEqualTo(3);
    assertThat(s.durable().nextSeqNum()).isEqualTo(0);
  }

  @Test
  void matchSeqNumIsCheckedAgainstTheAssignedTailIncludingInFlightBatches() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    accept(s.sequence(batch(rec(null, "a"), rec(null, "b")), null, false, NOW));
    var stale = s.sequence(new AppendInput(List.of(rec(null, "x")), 0L, null), null, false, NOW);
    assertThat(stale).isEqualTo(new StreamSequencer.Rejected(new AppendOutcome.SeqNumMismatch(2)));
    var ok = s.sequence(new AppendInput(List.of(rec(null, "x")), 2L, null), null, false, NOW);
    assertThat(accept(ok).records().get(0).seqNum()).isEqualTo(2);
  }

  @Test
  void fencingTokenIsCheckedBeforeMatchSeqNum() {
    StreamSequencer s = new StreamSequencer(new StreamSequencer.State(5, 10, "owner-1", 0));
    var d = s.sequence(new AppendInput(List.of(rec(null, "x")), 0L, "other"), null, false, NOW);
    assertThat(d)
        .isEqualTo(new StreamSequencer.Rejected(new AppendOutcome.FencingTokenMismatch("owner-1")));
    assertThat(s.assigned().nextSeqNum()).isEqualTo(5);
  }

  @Test
  void aFenceInABatchAffectsLaterBatchesButNotItsOwnTokenCheck() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    accept(
        s.sequence(
            new AppendInput(List.of(CommandRecords.fence("new"), rec(null, "a")), null, ""),
            null,
            false,
            NOW));
    assertThat(s.assigned().fencingToken()).isEqualTo("new");
    var rejected = s.sequence(new AppendInput(List.of(rec(null, "b")), null, ""), null, false, NOW);
    assertThat(rejected)
        .isEqualTo(new StreamSequencer.Rejected(new AppendOutcome.FencingTokenMismatch("new")));
    accept(s.sequence(new AppendInput(List.of(rec(null, "b")), null, "new"), null, false, NOW));
  }

  @Test
  void trimPointNeverMovesBackAndIsCappedAfterTheTrimRecord() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    accept(s.sequence(batch(rec(null, "a"), rec(null, "b"), rec(null, "c")), null, false, NOW));
    accept(
        s.sequence(
            new AppendInput(List.of(CommandRecords.trim(100)), null, null), null, false, NOW));
    assertThat(s.assigned().trimPoint()).isEqualTo(4); // trim record at 3, capped at 3 + 1
    accept(
        s.sequence(new AppendInput(List.of(CommandRecords.trim(1)), null, null), null, false, NOW));
    assertThat(s.assigned().trimPoint()).isEqualTo(4);
  }

  @Test
  void clientPreferUsesClientTimestampsCappedAtNowAndNeverDecreasing() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    var a =
        accept(
            s.sequence(
                batch(rec(500L, "a"), rec(400L, "b"), rec(NOW + 50, "c"), rec(null, "d")),
                TimestampingMode.CLIENT_PREFER,
                false,
                NOW));
    assertThat(a.records())
        .extracting(SequencedRecord::timestamp)
        .containsExactly(500L, 500L, NOW, NOW);
    var b = accept(s.sequence(batch(rec(10L, "e")), TimestampingMode.CLIENT_PREFER, false, NOW));
    assertThat(b.records().get(0).timestamp()).isEqualTo(NOW);
  }

  static Stream<Arguments> timestampRules() {
    return Stream.of(
        Arguments.of(
            "uncapped keeps future client timestamps",
            TimestampingMode.CLIENT_PREFER,
            true,
            NOW + 50,
            NOW + 50),
        Arguments.of(
            "arrival ignores client timestamps", TimestampingMode.ARRIVAL, false, 5L, NOW));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("timestampRules")
  void aRecordsTimestampIsChosenByTheMode(
      String rule, TimestampingMode mode, boolean uncapped, long clientTimestamp, long expected) {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    var a = accept(s.sequence(batch(rec(clientTimestamp, "a")), mode, uncapped, NOW));
    assertThat(a.records().get(0).timestamp()).isEqualTo(expected);
  }

  @Test
  void clientRequireWithoutATimestampIsInvalidAndChangesNothing() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    var d =
        s.sequence(
            batch(rec(5L, "a"), rec(null, "b")), TimestampingMode.CLIENT_REQUIRE, false, NOW);
    assertThat(d).isInstanceOf(StreamSequencer.Invalid.class);
    assertThat(((StreamSequencer.Invalid) d).error().code()).isEqualTo(ErrorCode.INVALID);
    assertThat(s.assigned()).isEqualTo(StreamSequencer.State.INITIAL);
  }

  @Test
  void rollbackReturnsToTheDurableStateSoSeqNumsAreReusedWithoutGap() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    var a = accept(s.sequence(batch(rec(null, "a")), null, false, NOW));
    accept(
        s.sequence(
            new AppendInput(List.of(CommandRecords.fence("t")), null, null), null, false, NOW));
    s.markDurable(a.stateAfter());
    s.rollback();
    assertThat(s.assigned()).isEqualTo(a.stateAfter());
    assertThat(s.assigned().fencingToken()).isEqualTo("");
    var c = accept(s.sequence(batch(rec(null, "c")), null, false, NOW));
    assertThat(c.records().get(0).seqNum()).isEqualTo(1);
  }

  @Test
  void markingAPositionBeyondTheAssignedTailIsAnInvariantBreach() {
    StreamSequencer s = new StreamSequencer(StreamSequencer.State.INITIAL);
    assertThatThrownBy(() -> s.markDurable(new StreamSequencer.State(3, 0, "", 0)))
        .isInstanceOf(IllegalStateException.class);
  }
}
