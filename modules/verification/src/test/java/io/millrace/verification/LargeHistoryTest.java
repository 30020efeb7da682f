package io.millrace.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Histories of a few thousand operations over several streams, generated from a correct sequential
 * run with random overlaps: partitioning by stream and memoisation keep the search small. There is
 * no timing assertion; the default limits would give an unknown verdict if the search blew up.
 */
class LargeHistoryTest {

  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  @Test
  void aCorrectRunOfThousandsOfOverlappingOperationsOnSeveralStreamsIsLinearizable() {
    for (long seed = 1; seed <= 3; seed++) {
      History history = CorrectHistories.generate(seed, 5, 4000, 4).history();

      CheckResult result = checker.check(history);

      assertThat(result).as("seed %d", seed).isInstanceOf(CheckResult.Linearizable.class);
    }
  }

  @Test
  void aCorrectRunWithHeavyOverlapOnOneStreamIsLinearizable() {
    History history = CorrectHistories.generate(7, 1, 1500, 6).history();

    assertThat(checker.check(history)).isInstanceOf(CheckResult.Linearizable.class);
  }

  @Test
  void manyIndefiniteAppendsThatNeverTookEffectDoNotBlowUpTheSearch() {
    // 100 appends time out early and never take effect; 300 acked appends and reads follow. Each
    // timed-out append could be placed at any later point, in any combination with the others;
    // the pruning rules them out wherever an ack or read pins the tail or the records.
    History.Builder builder = History.builder();
    for (int i = 0; i < 100; i++) {
      builder.add(i, i, i + 5, Histories.append("lost " + i), Outcome.indefinite("timeout"));
    }
    long time = 1_000;
    for (int i = 0; i < 300; i++) {
      builder.add(1, time, time + 3, Histories.append("kept " + i), Outcome.acked(i, i + 1));
      builder.add(
          2, time + 1, time + 4, Histories.readFrom(i, 5), Histories.returned(i, "kept " + i));
      time += 2;
    }
    LinearizabilityChecker boundedChecker =
        new LinearizabilityChecker(
            new LinearizabilityChecker.Settings(1_000_000, java.time.Duration.ofMinutes(2)));

    CheckResult result = boundedChecker.check(builder.build());

    assertThat(result).as("%s", result).isInstanceOf(CheckResult.Linearizable.class);
  }

  @Test
  void oneCorruptedReadInALargeHistoryIsFound() {
    History history = CorrectHistories.generate(11, 5, 3000, 4).history();
    List<Operation> operations = new ArrayList<>(history.operations());
    int victim = lastReadWithRecords(operations);
    Operation read = operations.get(victim);
    Outcome.Records returned = (Outcome.Records) read.outcome();
    List<SequencedRecord> corrupted = new ArrayList<>(returned.records());
    SequencedRecord first = corrupted.get(0);
    corrupted.set(0, new SequencedRecord(first.seqNum(), first.hash() ^ 1));
    operations.set(
        victim,
        new Operation(
            read.id(),
            read.client(),
            read.call(),
            new Outcome.Records(corrupted, returned.tail()),
            read.invokedAt(),
            read.completedAt()));

    CheckResult result = checker.check(new History(operations));

    assertThat(result).isInstanceOf(CheckResult.NotLinearizable.class);
    Violation violation = ((CheckResult.NotLinearizable) result).violations().get(0);
    assertThat(violation.stream()).isEqualTo(read.stream());
    assertThat(violation.unplaced())
        .extracting(Violation.Unplaced::operation)
        .contains(operations.get(victim));
  }

  @Test
  void aCorrectRunPassesTheAudit() {
    CorrectHistories.Generated generated = CorrectHistories.generate(3, 4, 2000, 4);

    HistoryAudit.Report report = HistoryAudit.audit(generated.history(), generated.finalReads());

    assertThat(report.isClean()).as("%s", report).isTrue();
  }

  private static int lastReadWithRecords(List<Operation> operations) {
    for (int i = operations.size() - 1; i >= 0; i--) {
      if (operations.get(i).outcome() instanceof Outcome.Records records
          && !records.records().isEmpty()) {
        return i;
      }
    }
    throw new IllegalStateException("no read with records");
  }
}
