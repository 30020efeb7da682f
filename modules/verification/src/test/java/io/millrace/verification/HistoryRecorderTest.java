package io.millrace.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

  private final AtomicLong clock = new AtomicLong();
  private final HistoryRecorder recorder = new HistoryRecorder(clock::incrementAndGet);

  @Test
  void recordedOperationsCarryTheirInvocationAndCompletionTimes() {
    HistoryRecorder.Invocation append =
        recorder.invoke(1, Call.Append.of("s", List.of(AppendRecord.body("a"))));
    HistoryRecorder.Invocation tail = recorder.invoke(2, new Call.CheckTail("s"));
    recorder.complete(tail, Outcome.tail(0));
    recorder.complete(append, Outcome.acked(0, 1));

    List<Operation> operations = recorder.history().operations();

    assertThat(operations).hasSize(2);
    assertThat(operations.get(0).invokedAt()).isEqualTo(1);
    assertThat(operations.get(0).completedAt()).isEqualTo(4);
    assertThat(operations.get(1).invokedAt()).isEqualTo(2);
    assertThat(operations.get(1).completedAt()).isEqualTo(3);
    assertThat(new LinearizabilityChecker().check(recorder.history()).isLinearizable()).isTrue();
  }

  @Test
  void anInvocationThatNeverCompletedIsIndefinite() {
    recorder.invoke(1, Call.Append.of("s", List.of(AppendRecord.body("a"))));

    Operation operation = recorder.history().operations().get(0);

    assertThat(operation.isIndefinite()).isTrue();
  }

  @Test
  void anInvocationCompletesOnlyOnce() {
    HistoryRecorder.Invocation tail = recorder.invoke(1, new Call.CheckTail("s"));
    recorder.complete(tail, Outcome.tail(0));

    assertThatThrownBy(() -> recorder.complete(tail, Outcome.tail(0)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anOutcomeThatDoesNotAnswerTheCallIsRejected() {
    HistoryRecorder.Invocation tail = recorder.invoke(1, new Call.CheckTail("s"));

    assertThatThrownBy(() -> recorder.complete(tail, Outcome.acked(0, 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void recordHashesAgreeBetweenTheWriterAndTheReaderOfACommandRecord() {
    long readSide =
        RecordHash.of(
            List.of(RecordHash.Header.of("", "fence")),
            "token".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(AppendRecord.fence("token").hash()).isEqualTo(readSide);
    assertThat(RecordHash.ofBody("a")).isNotEqualTo(RecordHash.ofBody("b"));
  }
}
