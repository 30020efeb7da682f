package io.millrace.verification;

import static io.millrace.verification.Histories.append;
import static io.millrace.verification.Histories.checkTail;
import static io.millrace.verification.Histories.history;
import static io.millrace.verification.Histories.readFrom;
import static io.millrace.verification.Histories.returned;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  private CheckResult check(Histories history) {
    return checker.check(history.build());
  }

  private static Violation onlyViolation(CheckResult result) {
    assertThat(result).isInstanceOf(CheckResult.NotLinearizable.class);
    List<Violation> violations = ((CheckResult.NotLinearizable) result).violations();
    assertThat(violations).hasSize(1);
    return violations.get(0);
  }

  private static List<String> reasons(CheckResult result) {
    return onlyViolation(result).unplaced().stream().map(Violation.Unplaced::reason).toList();
  }

  @Test
  void anEmptyHistoryIsLinearizable() {
    assertThat(check(history()).isLinearizable()).isTrue();
  }

  @Test
  void overlappingAppendsAckedInEitherOrderAreLinearizable() {
    // The later-invoked append got the lower seq nums, and each ack returned before the other's.
    CheckResult laterInvokedFirst =
        check(
            history()
                .op(1, 0, 10, append("a"), Outcome.acked(2, 3))
                .op(2, 1, 9, append("b", "c"), Outcome.acked(0, 2))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b", "c", "a")));
    CheckResult earlierInvokedFirst =
        check(
            history()
                .op(1, 0, 10, append("a"), Outcome.acked(0, 1))
                .op(2, 1, 9, append("b", "c"), Outcome.acked(1, 3))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "a", "b", "c")));

    assertThat(laterInvokedFirst.isLinearizable()).as("%s", laterInvokedFirst).isTrue();
    assertThat(earlierInvokedFirst.isLinearizable()).as("%s", earlierInvokedFirst).isTrue();
  }

  @Test
  void appendsThatDidNotOverlapMustTakeSeqNumsInRealTimeOrder() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(1, 2))
                .op(2, 2, 3, append("b"), Outcome.acked(0, 1)));

    assertThat(reasons(result)).contains("append by client 1 acked seq 1 but the tail was 0");
  }

  @Test
  void anAckedRecordMissingFromALaterReadIsALostAck() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(1, 2, 3, append("b"), Outcome.acked(1, 2))
                .op(2, 4, 5, readFrom(0, 10), returned(0, "a")));

    Violation violation = onlyViolation(result);
    assertThat(violation.longestPrefix()).hasSize(2);
    assertThat(reasons(result))
        .containsExactly(
            "read by client 2 from 0 returned up to seq 0 with room for more (limit 10) but the"
                + " tail was 2");
  }

  @Test
  void aReadReturningOtherContentAtAnAckedSeqNumIsAViolation() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, readFrom(0, 1), returned(0, "x")));

    assertThat(reasons(result))
        .singleElement()
        .asString()
        .startsWith(
            "read by client 2 from 0 returned seq 0 = " + StreamModel.hex(RecordHash.ofBody("x")))
        .endsWith("but the stream had " + StreamModel.hex(RecordHash.ofBody("a")) + " at 0");
  }

  @Test
  void twoAcksWithOverlappingRangesAreDuplicateSeqNums() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 10, append("a", "b"), Outcome.acked(0, 2))
                .op(2, 0, 10, append("c", "d"), Outcome.acked(1, 3)));

    Violation violation = onlyViolation(result);
    assertThat(violation.longestPrefix()).hasSize(1);
    assertThat(violation.unplaced()).hasSize(1);
    assertThat(violation.unplaced().get(0).reason()).contains("acked seq ", " but the tail was ");
  }

  @Test
  void anAckRangeThatSkipsSeqNumsIsAGap() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(1, 2, 3, append("c", "d"), Outcome.acked(3, 5)));

    assertThat(reasons(result))
        .containsExactly("append by client 1 acked seq 3..4 but the tail was 2");
  }

  @Test
  void anAckWhoseRangeDoesNotMatchTheBatchSizeIsAViolation() {
    CheckResult result = check(history().op(1, 0, 1, append("a", "b"), Outcome.acked(0, 3)));

    assertThat(reasons(result))
        .containsExactly(
            "append by client 1 acked seq 0..2 but the tail was 0 (and the batch had 2)");
  }

  @Test
  void aReadInvokedAfterAnAckCompletedThatMissesItIsStale() {
    CheckResult emptyRead =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.acked(0, 1))
                .op(2, 6, 7, readFrom(0, 10), returned(0)));
    CheckResult tailBehind =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.acked(0, 1))
                .op(2, 6, 7, checkTail(), Outcome.tail(0)));
    CheckResult reportedTailBehind =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.acked(0, 1))
                .op(2, 6, 7, readFrom(0, 1), Outcome.records(Histories.records(0, "a"), 0)));

    assertThat(reasons(emptyRead))
        .containsExactly(
            "read by client 2 from 0 returned nothing with room for more (limit 10) but the tail"
                + " was 1");
    assertThat(reasons(tailBehind))
        .containsExactly("check-tail by client 2 returned 0 but the tail was 1");
    assertThat(reasons(reportedTailBehind)).isNotEmpty();
  }

  @Test
  void aReadConcurrentWithAnAppendMayMissIt() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.acked(0, 1))
                .op(2, 4, 7, readFrom(0, 10), returned(0))
                .op(3, 4, 7, checkTail(), Outcome.tail(0)));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void aReadBeyondTheTailGets416WithTheTail() {
    CheckResult correct =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, readFrom(1, 10), new Outcome.OutOfRange(1)));
    CheckResult wrong =
        check(
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(2, 2, 3, readFrom(1, 10), new Outcome.OutOfRange(1)));

    assertThat(correct.isLinearizable()).as("%s", correct).isTrue();
    assertThat(reasons(wrong))
        .containsExactly("read by client 2 from 1 got 416 but the tail was 2");
  }

  @Test
  void anAppendWithAStaleTokenAckedAfterAFenceCompletedIsAFencingBypass() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append(AppendRecord.fence("new")), Outcome.acked(0, 1))
                .op(2, 2, 3, append("late").withFencingToken(""), Outcome.acked(1, 2)));

    assertThat(reasons(result))
        .containsExactly(
            "append by client 2 was acked with its token '' but the stream's was 'new'");
  }

  @Test
  void anAppendWithTheOldTokenConcurrentWithTheFenceMayBeOrderedBeforeIt() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 10, append(AppendRecord.fence("new")), Outcome.acked(1, 2))
                .op(2, 1, 9, append("w").withFencingToken(""), Outcome.acked(0, 1))
                .op(
                    2,
                    11,
                    12,
                    append("x").withFencingToken(""),
                    Outcome.fencingTokenMismatch("new"))
                .op(1, 13, 14, append("y").withFencingToken("new"), Outcome.acked(2, 3)));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void aFencingMismatchMustReportTheCurrentToken() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append(AppendRecord.fence("new")), Outcome.acked(0, 1))
                .op(
                    2,
                    2,
                    3,
                    append("x").withFencingToken("old"),
                    Outcome.fencingTokenMismatch("")));

    assertThat(reasons(result))
        .containsExactly(
            "append by client 2 got fencing_token_mismatch '' but the stream's token was 'new'");
  }

  @Test
  void aFenceInsideABatchDoesNotApplyToItsOwnTokenCheck() {
    CheckResult result =
        check(
            history()
                .op(
                    1,
                    0,
                    1,
                    append(AppendRecord.fence("new"), AppendRecord.body("a")).withFencingToken(""),
                    Outcome.acked(0, 2))
                .op(1, 2, 3, append("b").withFencingToken("new"), Outcome.acked(2, 3)));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void anIndefiniteAppendThatAppliedMayShowUpAfterItsClientGaveUp() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.indefinite("timeout"))
                .op(2, 10, 11, append("b"), Outcome.acked(0, 1))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b", "a")));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void anIndefiniteAppendThatNeverAppliedLeavesNoTrace() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 5, append("a"), Outcome.indefinite("504 upstream_timeout"))
                .op(2, 10, 11, append("b"), Outcome.acked(0, 1))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b"))
                .op(3, 22, 23, checkTail(), Outcome.tail(1)));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void anIndefiniteAppendCannotTakeEffectBeforeItWasInvoked() {
    CheckResult result =
        check(
            history()
                .op(2, 0, 1, append("b"), Outcome.acked(1, 2))
                .op(1, 5, 6, append("a"), Outcome.indefinite("timeout"))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "a", "b")));

    assertThat(result).isInstanceOf(CheckResult.NotLinearizable.class);
    assertThat(reasons(result)).contains("append by client 2 acked seq 1 but the tail was 0");
  }

  @Test
  void failedOperationsAreIgnored() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.failed("422 invalid"))
                .op(2, 2, 3, readFrom(0, 10), Outcome.indefinite("timeout"))
                .op(3, 4, 5, checkTail(), Outcome.tail(0)));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void aSeqNumMismatchMustReportTheTail() {
    CheckResult correct =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(1)));
    CheckResult wrongTail =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(0)));
    CheckResult matchingSeqNum =
        check(history().op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(0)));

    assertThat(correct.isLinearizable()).as("%s", correct).isTrue();
    assertThat(reasons(wrongTail))
        .containsExactly("append by client 2 got seq_num_mismatch 0 but the tail was 1");
    assertThat(reasons(matchingSeqNum))
        .containsExactly(
            "append by client 2 got seq_num_mismatch 0 but its match_seq_num 0 was the tail");
  }

  @Test
  void anAppendAckedDespiteAStaleMatchSeqNumIsAViolation() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.acked(1, 2)));

    assertThat(reasons(result))
        .containsExactly("append by client 2 was acked with match_seq_num 0 but the tail was 1");
  }

  @Test
  void aRetriedAppendWhoseFirstAttemptLandedGetsASeqNumMismatch() {
    // The first attempt timed out but applied; the retry with the same match_seq_num gets 412.
    CheckResult result =
        check(
            history()
                .op(1, 0, 5, append("a").withMatchSeqNum(0), Outcome.indefinite("timeout"))
                .op(1, 6, 7, append("a").withMatchSeqNum(0), Outcome.seqNumMismatch(1))
                .op(2, 8, 9, readFrom(0, 10), returned(0, "a")));

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  @Test
  void aReadMaySkipTrimmedRecordsButNotOthers() {
    List<SequencedRecord> fromTrimPoint =
        List.of(
            new SequencedRecord(2, RecordHash.ofBody("c")),
            new SequencedRecord(3, RecordHash.trim(2)));
    CheckResult skipsTrimmed =
        check(
            history()
                .op(1, 0, 1, append("a", "b", "c"), Outcome.acked(0, 3))
                .op(1, 2, 3, append(AppendRecord.trim(2)), Outcome.acked(3, 4))
                .op(2, 4, 5, readFrom(0, 10), Outcome.records(fromTrimPoint)));
    CheckResult skipsUntrimmed =
        check(
            history()
                .op(1, 0, 1, append("a", "b", "c"), Outcome.acked(0, 3))
                .op(1, 2, 3, append(AppendRecord.trim(1)), Outcome.acked(3, 4))
                .op(2, 4, 5, readFrom(0, 1), returned(2, "c")));

    assertThat(skipsTrimmed.isLinearizable()).as("%s", skipsTrimmed).isTrue();
    assertThat(reasons(skipsUntrimmed))
        .containsExactly("read by client 2 from 0 skipped to seq 2 though the trim point was 1");
  }

  @Test
  void aViolationRendersTheLongestPrefixAndWhyEachCandidateFails() {
    CheckResult result =
        check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, checkTail(), Outcome.tail(0)));

    assertThat(result.toString())
        .contains(
            "stream 's' is not linearizable.",
            "longest linearizable prefix (1 operations",
            "#0 client 1 append 1 record -> acked seq 0",
            "then the tail is 1 and the fencing token ''",
            "#1 client 2 check-tail -> tail 0",
            "because check-tail by client 2 returned 0 but the tail was 1");
  }

  @Test
  void anAckAndAReadShowingDifferentRecordsAtOneSeqNumContradictEachOther() {
    LinearizabilityChecker withoutExplanationSearch =
        new LinearizabilityChecker(
            new LinearizabilityChecker.Settings(1_000_000, Duration.ofMinutes(1), 0));

    CheckResult result =
        withoutExplanationSearch.check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, readFrom(0, 1), returned(0, "x"))
                .build());

    Violation violation = onlyViolation(result);
    assertThat(violation.isContradiction()).isTrue();
    assertThat(violation.unplaced())
        .extracting(unplaced -> unplaced.operation().id())
        .containsExactly(0, 1);
    assertThat(result.toString())
        .contains("these operations show different records at one seq num, in any order:");
  }

  @Test
  void thePrunedSearchNamesTheOperationWhoseObservationBlocksAStep() {
    LinearizabilityChecker withoutExplanationSearch =
        new LinearizabilityChecker(
            new LinearizabilityChecker.Settings(1_000_000, Duration.ofMinutes(1), 0));

    CheckResult result =
        withoutExplanationSearch.check(
            history()
                .op(1, 0, 1, append("a"), Outcome.acked(0, 1))
                .op(2, 2, 3, checkTail(), Outcome.tail(0))
                .build());

    assertThat(reasons(result))
        .containsExactly(
            "taking effect here would move the tail to 1, past the tail 0 that #1 client 2"
                + " check-tail -> tail 0 observes");
  }

  @Test
  void streamsAreCheckedIndependently() {
    History.Builder builder = History.builder();
    builder.add(1, 0, 1, Call.Append.of("x", List.of(AppendRecord.body("a"))), Outcome.acked(0, 1));
    builder.add(2, 0, 1, Call.Append.of("y", List.of(AppendRecord.body("a"))), Outcome.acked(0, 1));
    builder.add(3, 2, 3, new Call.CheckTail("x"), Outcome.tail(1));
    builder.add(3, 2, 3, new Call.CheckTail("y"), Outcome.tail(2));

    Violation violation = onlyViolation(checker.check(builder.build()));
    assertThat(violation.stream()).isEqualTo("y");
  }

  @Test
  void aSearchThatRunsOutOfStepsGivesAnUnknownVerdict() {
    LinearizabilityChecker impatient =
        new LinearizabilityChecker(new LinearizabilityChecker.Settings(3, Duration.ofMinutes(1)));
    Histories history = history();
    for (int i = 0; i < 10; i++) {
      history.op(i, 0, 100, append("r" + i), Outcome.indefinite("timeout"));
    }
    history.op(99, 200, 201, checkTail(), Outcome.tail(10));

    assertThat(impatient.check(history.build())).isInstanceOf(CheckResult.Unknown.class);
    assertThat(checker.check(history.build()).isLinearizable()).isTrue();
  }
}
