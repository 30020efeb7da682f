package io.millrace.verification;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pruned search and the contradiction shortcut must reach the same verdict as the plain Wing
 * and Gong search. Compared on many small histories, half of them with one outcome altered, which
 * sometimes breaks linearizability and sometimes does not.
 */
class PruningSoundnessTest {

  private static final LinearizabilityChecker.Settings SETTINGS =
      new LinearizabilityChecker.Settings(5_000_000, Duration.ofMinutes(1), 0);

  @Test
  void prunedAndPlainSearchesAgreeOnSmallHistoriesWithAndWithoutAlteredOutcomes() {
    LinearizabilityChecker pruned = new LinearizabilityChecker(SETTINGS);
    LinearizabilityChecker plain = LinearizabilityChecker.withoutPruning(SETTINGS);
    int violations = 0;
    int linearizable = 0;
    Random random = new Random(42);
    for (long seed = 1; seed <= 400; seed++) {
      History history = CorrectHistories.generate(seed, 1, 14, 3).history();
      if (random.nextBoolean()) {
        history = alterOneOutcome(history, random);
      }

      CheckResult plainResult = plain.check(history);
      CheckResult prunedResult = pruned.check(history);

      assertThat(plainResult).as("seed %d", seed).isNotInstanceOf(CheckResult.Unknown.class);
      assertThat(prunedResult.getClass())
          .as("seed %d: plain %s, pruned %s", seed, plainResult, prunedResult)
          .isEqualTo(plainResult.getClass());
      if (plainResult.isLinearizable()) {
        linearizable++;
      } else {
        violations++;
      }
    }
    assertThat(violations).isGreaterThan(50);
    assertThat(linearizable).isGreaterThan(50);
  }

  private static History alterOneOutcome(History history, Random random) {
    List<Operation> operations = new ArrayList<>(history.operations());
    int index = random.nextInt(operations.size());
    Operation operation = operations.get(index);
    Outcome altered = alter(operation, random);
    operations.set(
        index,
        new Operation(
            operation.id(),
            operation.client(),
            operation.call(),
            altered,
            operation.invokedAt(),
            operation.completedAt()));
    return new History(operations);
  }

  private static Outcome alter(Operation operation, Random random) {
    long delta = random.nextBoolean() ? 1 : -1;
    Outcome outcome = operation.outcome();
    if (outcome instanceof Outcome.Acked acked) {
      return Outcome.acked(Math.max(0, acked.start() + delta), Math.max(0, acked.end() + delta));
    }
    if (outcome instanceof Outcome.SeqNumMismatch mismatch) {
      return Outcome.seqNumMismatch(Math.max(0, mismatch.reportedTail() + delta));
    }
    if (outcome instanceof Outcome.Tail tail) {
      return Outcome.tail(Math.max(0, tail.seqNum() + delta));
    }
    if (outcome instanceof Outcome.OutOfRange outOfRange) {
      return new Outcome.OutOfRange(Math.max(0, outOfRange.tail() + delta));
    }
    if (outcome instanceof Outcome.Records records && !records.records().isEmpty()) {
      List<SequencedRecord> list = new ArrayList<>(records.records());
      if (random.nextBoolean()) {
        list.remove(list.size() - 1);
      } else {
        SequencedRecord first = list.get(0);
        list.set(0, new SequencedRecord(first.seqNum(), first.hash() + 1));
      }
      return new Outcome.Records(list, records.tail());
    }
    if (outcome instanceof Outcome.Indefinite || outcome instanceof Outcome.Failed) {
      return outcome;
    }
    return Outcome.indefinite("altered to indefinite");
  }
}
