package io.millrace.verification;

import static io.millrace.verification.Histories.append;
import static io.millrace.verification.Histories.checkTail;
import static io.millrace.verification.Histories.history;
import static io.millrace.verification.Histories.readFrom;
import static io.millrace.verification.Histories.returned;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

  /** Client 1 appended "a" from time 0 to 1, acked at seq num 0. */
  private static Histories appendedA() {
    return history().op(1, 0, 1, append("a"), Outcome.acked(0, 1));
  }

  /** Client 1 appended "a" from time 0 to 5, acked at seq num 0. */
  private static Histories appendedAWithin5() {
    return history().op(1, 0, 5, append("a"), Outcome.acked(0, 1));
  }

  @Test
  void anEmptyHistoryIsLinearizable() {
    assertThat(check(history()).isLinearizable()).isTrue();
  }

  /** Histories a linearizable stream could have produced, each named for what it shows. */
  static Stream<Named<Histories>> linearizableHistories() {
    return Stream.of(
        // The later-invoked append got the lower seq nums, and each ack returned before the
        // other's.
        Named.of(
            "overlapping appends acked with the later-invoked one first",
            history()
                .op(1, 0, 10, append("a"), Outcome.acked(2, 3))
                .op(2, 1, 9, append("b", "c"), Outcome.acked(0, 2))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b", "c", "a"))),
        Named.of(
            "overlapping appends acked with the earlier-invoked one first",
            history()
                .op(1, 0, 10, append("a"), Outcome.acked(0, 1))
                .op(2, 1, 9, append("b", "c"), Outcome.acked(1, 3))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "a", "b", "c"))),
        Named.of(
            "a read concurrent with an append may miss it",
            history()
                .op(1, 0, 5, append("a"), Outcome.acked(0, 1))
                .op(2, 4, 7, readFrom(0, 10), returned(0))
                .op(3, 4, 7, checkTail(), Outcome.tail(0))),
        Named.of(
            "a read beyond the tail gets 416 with the tail",
            appendedA().op(2, 2, 3, readFrom(1, 10), new Outcome.OutOfRange(1))),
        Named.of(
            "an append with the old token concurrent with the fence may be ordered before it",
            history()
                .op(1, 0, 10, append(AppendRecord.fence("new")), Outcome.acked(1, 2))
                .op(2, 1, 9, append("w").withFencingToken(""), Outcome.acked(0, 1))
                .op(
                    2,
                    11,
                    12,
                    append("x").withFencingToken(""),
                    Outcome.fencingTokenMismatch("new"))
                .op(1, 13, 14, append("y").withFencingToken("new"), Outcome.acked(2, 3))),
        Named.of(
            "a fence inside a batch does not apply to its own token check",
            history()
                .op(
                    1,
                    0,
                    1,
                    append(AppendRecord.fence("new"), AppendRecord.body("a")).withFencingToken(""),
                    Outcome.acked(0, 2))
                .op(1, 2, 3, append("b").withFencingToken("new"), Outcome.acked(2, 3))),
        Named.of(
            "an indefinite append that applied may show up after its client gave up",
            history()
                .op(1, 0, 5, append("a"), Outcome.indefinite("timeout"))
                .op(2, 10, 11, append("b"), Outcome.acked(0, 1))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b", "a"))),
        Named.of(
            "an indefinite append that never applied leaves no trace",
            history()
                .op(1, 0, 5, append("a"), Outcome.indefinite("504 upstream_timeout"))
                .op(2, 10, 11, append("b"), Outcome.acked(0, 1))
                .op(3, 20, 21, readFrom(0, 10), returned(0, "b"))
                .op(3, 22, 23, checkTail(), Outcome.tail(1))),
        Named.of(
            "failed operations are ignored",
            history()
                .op(1, 0, 1, append("a"), Outcome.failed("422 invalid"))
                .op(2, 2, 3, readFrom(0, 10), Outcome.indefinite("timeout"))
                .op(3, 4, 5, checkTail(), Outcome.tail(0))),
        Named.of(
            "a seq num mismatch reporting the tail",
            appendedA().op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(1))),
        // The first attempt timed out but applied; the retry with the same match_seq_num gets 412.
        Named.of(
            "a retried append whose first attempt landed gets a seq num mismatch",
            history()
                .op(1, 0, 5, append("a").withMatchSeqNum(0), Outcome.indefinite("timeout"))
                .op(1, 6, 7, append("a").withMatchSeqNum(0), Outcome.seqNumMismatch(1))
                .op(2, 8, 9, readFrom(0, 10), returned(0, "a"))),
        Named.of(
            "a read may skip trimmed records",
            history()
                .op(1, 0, 1, append("a", "b", "c"), Outcome.acked(0, 3))
                .op(1, 2, 3, append(AppendRecord.trim(2)), Outcome.acked(3, 4))
                .op(
                    2,
                    4,
                    5,
                    readFrom(0, 10),
                    Outcome.records(
                        List.of(
                            new SequencedRecord(2, RecordHash.ofBody("c")),
                            new SequencedRecord(3, RecordHash.trim(2)))))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("linearizableHistories")
  void isLinearizable(Histories history) {
    CheckResult result = check(history);

    assertThat(result.isLinearizable()).as("%s", result).isTrue();
  }

  /**
   * Histories with one violation, each named for what it shows, and the one reason the checker must
   * give for it.
   */
  static Stream<Arguments> historiesWithOneReason() {
    return Stream.of(
        violation(
            "an ack range that skips seq nums is a gap",
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(1, 2, 3, append("c", "d"), Outcome.acked(3, 5)),
            "append by client 1 acked seq 3..4 but the tail was 2"),
        violation(
            "an ack whose range does not match the batch size is a violation",
            history().op(1, 0, 1, append("a", "b"), Outcome.acked(0, 3)),
            "append by client 1 acked seq 0..2 but the tail was 0 (and the batch had 2)"),
        violation(
            "an empty read invoked after an ack completed is stale",
            appendedAWithin5().op(2, 6, 7, readFrom(0, 10), returned(0)),
            "read by client 2 from 0 returned nothing with room for more (limit 10) but the tail"
                + " was 1"),
        violation(
            "a check-tail invoked after an ack completed that misses it is stale",
            appendedAWithin5().op(2, 6, 7, checkTail(), Outcome.tail(0)),
            "check-tail by client 2 returned 0 but the tail was 1"),
        violation(
            "a read beyond the tail that got 416 with a wrong tail",
            history()
                .op(1, 0, 1, append("a", "b"), Outcome.acked(0, 2))
                .op(2, 2, 3, readFrom(1, 10), new Outcome.OutOfRange(1)),
            "read by client 2 from 1 got 416 but the tail was 2"),
        violation(
            "an append with a stale token acked after a fence completed is a fencing bypass",
            history()
                .op(1, 0, 1, append(AppendRecord.fence("new")), Outcome.acked(0, 1))
                .op(2, 2, 3, append("late").withFencingToken(""), Outcome.acked(1, 2)),
            "append by client 2 was acked with its token '' but the stream's was 'new'"),
        violation(
            "a fencing mismatch must report the current token",
            history()
                .op(1, 0, 1, append(AppendRecord.fence("new")), Outcome.acked(0, 1))
                .op(2, 2, 3, append("x").withFencingToken("old"), Outcome.fencingTokenMismatch("")),
            "append by client 2 got fencing_token_mismatch '' but the stream's token was 'new'"),
        violation(
            "a seq num mismatch must report the tail",
            appendedA().op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(0)),
            "append by client 2 got seq_num_mismatch 0 but the tail was 1"),
        violation(
            "a seq num mismatch cannot be reported when the match seq num was the tail",
            history().op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.seqNumMismatch(0)),
            "append by client 2 got seq_num_mismatch 0 but its match_seq_num 0 was the tail"),
        violation(
            "an append acked despite a stale match seq num is a violation",
            appendedA().op(2, 2, 3, append("b").withMatchSeqNum(0), Outcome.acked(1, 2)),
            "append by client 2 was acked with match_seq_num 0 but the tail was 1"),
        violation(
            "a read may not skip untrimmed records",
            history()
                .op(1, 0, 1, append("a", "b", "c"), Outcome.acked(0, 3))
                .op(1, 2, 3, append(AppendRecord.trim(1)), Outcome.acked(3, 4))
                .op(2, 4, 5, readFrom(0, 1), returned(2, "c")),
            "read by client 2 from 0 skipped to seq 2 though the trim point was 1"));
  }

  private static Arguments violation(String name, Histories history, String reason) {
    return Arguments.of(Named.of(name, history), reason);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("historiesWithOneReason")
  void isNotLinearizableForOneReason(Histories history, String reason) {
    assertThat(reasons(check(history))).containsExactly(reason);
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
            appendedA()
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
    CheckResult result = check(appendedA().op(2, 2, 3, readFrom(0, 1), returned(0, "x")));

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
  void aReadInvokedAfterAnAckCompletedThatReportsAnOlderTailIsStale() {
    CheckResult reportedTailBehind =
        check(
            appendedAWithin5()
                .op(2, 6, 7, readFrom(0, 1), Outcome.records(Histories.records(0, "a"), 0)));

    assertThat(reasons(reportedTailBehind)).isNotEmpty();
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
  void aViolationRendersTheLongestPrefixAndWhyEachCandidateFails() {
    CheckResult result = check(appendedA().op(2, 2, 3, checkTail(), Outcome.tail(0)));

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
            appendedA().op(2, 2, 3, readFrom(0, 1), returned(0, "x")).build());

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
            appendedA().op(2, 2, 3, checkTail(), Outcome.tail(0)).build());

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
