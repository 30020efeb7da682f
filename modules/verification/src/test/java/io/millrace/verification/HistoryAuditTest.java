package io.millrace.verification;

import static io.millrace.verification.Histories.STREAM;
import static io.millrace.verification.Histories.append;
import static io.millrace.verification.Histories.history;
import static io.millrace.verification.Histories.records;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HistoryAuditTest {

  private static HistoryAudit.StreamReport audit(Histories history, HistoryAudit.FinalRead read) {
    HistoryAudit.Report report =
        HistoryAudit.audit(history.build(), read == null ? Map.of() : Map.of(STREAM, read));
    assertThat(report.streams()).hasSize(1);
    return report.streams().get(0);
  }

  /** Histories whose final read shows every ack, each named for what it shows. */
  static Stream<Arguments> cleanHistories() {
    return Stream.of(
        Arguments.of(
            Named.of(
                "acks that the final read returns are clean",
                history()
                    .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                    .op(2, 0, 1, append("c"), Outcome.acked(2, 3))),
            new HistoryAudit.FinalRead(0, records(0, "a", "b", "c"), 3)),
        Arguments.of(
            Named.of(
                "an indefinite append may explain unclaimed seq nums",
                history()
                    .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                    .op(2, 0, 5, append("x"), Outcome.indefinite("timeout"))
                    .op(1, 2, 3, append("c"), Outcome.acked(2, 3))),
            new HistoryAudit.FinalRead(0, records(0, "a", "x", "c"), 3)),
        Arguments.of(
            Named.of(
                "trimmed records before the final read are not lost",
                history()
                    .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                    .op(1, 2, 3, append(AppendRecord.trim(2)), Outcome.acked(2, 3))),
            new HistoryAudit.FinalRead(2, List.of(new SequencedRecord(2, RecordHash.trim(2))), 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cleanHistories")
  void isClean(Histories history, HistoryAudit.FinalRead finalRead) {
    HistoryAudit.StreamReport report = audit(history, finalRead);

    assertThat(report.isClean()).as("%s", report).isTrue();
  }

  @Test
  void anAckedRecordMissingFromTheFinalReadIsALostAck() {
    HistoryAudit.StreamReport report =
        audit(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, append("b"), Outcome.acked(1, 2)),
            new HistoryAudit.FinalRead(0, records(0, "a"), 1));

    assertThat(report.lostAcks()).isEqualTo(1);
    assertThat(report.findings()).anyMatch(finding -> finding.contains("is lost"));
  }

  @Test
  void anAckedSeqNumHoldingOtherContentIsALostAck() {
    HistoryAudit.StreamReport report =
        audit(
            history().op(1, 0, 1, append("a"), Outcome.acked(0, 1)),
            new HistoryAudit.FinalRead(0, records(0, "x"), 1));

    assertThat(report.lostAcks()).isEqualTo(1);
  }

  @Test
  void twoAcksClaimingTheSameSeqNumsAreDuplicates() {
    HistoryAudit.StreamReport report =
        audit(
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(2, 0, 1, append("c", "d"), Outcome.acked(1, 3)),
            null);

    assertThat(report.duplicateSeqNums()).isEqualTo(1);
    assertThat(report.lostAcks()).isZero();
  }

  @Test
  void aFinalReadReturningASeqNumTwiceCountsAsADuplicate() {
    List<SequencedRecord> twice = List.of(records(0, "a").get(0), records(0, "a").get(0));

    HistoryAudit.StreamReport report =
        audit(
            history().op(1, 0, 1, append("a"), Outcome.acked(0, 1)),
            new HistoryAudit.FinalRead(0, twice, 1));

    assertThat(report.duplicateSeqNums()).isEqualTo(1);
  }

  @Test
  void seqNumsNoAckClaimsAndNoIndefiniteAppendCouldFillAreGaps() {
    HistoryAudit.StreamReport report =
        audit(
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(1, 2, 3, append("c", "d"), Outcome.acked(3, 5)),
            null);

    assertThat(report.gaps()).isEqualTo(1);
  }

  @Test
  void aFinalReadSkippingSeqNumsBelowTheTailHasGaps() {
    List<SequencedRecord> skipping = List.of(records(0, "a").get(0), records(2, "c").get(0));

    HistoryAudit.StreamReport report =
        audit(
            history().op(1, 0, 1, append("a", "b", "c"), Outcome.acked(0, 3)),
            new HistoryAudit.FinalRead(0, skipping, 3));

    assertThat(report.gaps()).isEqualTo(1);
    assertThat(report.lostAcks()).isEqualTo(1);
  }
}
