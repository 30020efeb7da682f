package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.StreamSequencer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PendingAppendsTest {
  private final FailedSessions sessions = new FailedSessions();
  private final PendingAppends pending = new PendingAppends(sessions);
  private final List<String> released = new ArrayList<>();

  private Consumer<StreamEntity.AppendReply> client(String name) {
    return reply -> released.add(name + ":" + describe(reply));
  }

  private static String describe(StreamEntity.AppendReply reply) {
    if (reply instanceof StreamEntity.Failed f) {
      return f.code().name();
    }
    AppendOutcome o = ((StreamEntity.AppendResult) reply).outcome();
    return o instanceof AppendOutcome.Appended a
        ? "acked@" + a.ack().tail().seqNum()
        : o.getClass().getSimpleName();
  }

  private static StreamSequencer.Accepted batch(long seqNum) {
    SequencedRecord r = new SequencedRecord(seqNum, 1000, List.of(), new byte[] {1});
    StreamPosition start = new StreamPosition(seqNum, 1000);
    StreamPosition end = new StreamPosition(seqNum + 1, 1000);
    return new StreamSequencer.Accepted(
        List.of(r),
        new AppendAck(start, end, end),
        new StreamSequencer.State(seqNum + 1, 1000, "", 0));
  }

  @Test
  void aRejectionDecidedWhileAnEarlierAppendIsInFlightIsReleasedOnlyAfterItsAck() {
    pending.accept(batch(0), 1, client("a"), null);
    pending.reject(client("b"), new StreamEntity.AppendResult(new AppendOutcome.SeqNumMismatch(1)));
    assertThat(released).isEmpty();

    pending.durable(pending.firstInFlight(), new StreamPosition(1, 1000));

    assertThat(released).containsExactly("a:acked@1", "b:SeqNumMismatch");
    assertThat(pending.isEmpty()).isTrue();
  }

  @Test
  void aMismatchDecidedAgainstAnAppendThatThenFailsDoesNotReportItsPhantomTail() {
    // Found by NemesisIT (cluster, seed -7672240103136621587): a 412 counted an in-flight append
    // that never became durable, so its tail contradicted every later read.
    pending.accept(batch(0), 1, client("a"), null);
    pending.reject(client("b"), new StreamEntity.AppendResult(new AppendOutcome.SeqNumMismatch(1)));
    pending.reject(
        client("c"), new StreamEntity.AppendResult(new AppendOutcome.FencingTokenMismatch("t")));

    pending.failInFlight(new StreamEntity.Failed(ErrorCode.STORAGE, "WAL failed"));
    pending.releaseHeld();

    assertThat(released).containsExactly("a:STORAGE", "b:UNAVAILABLE", "c:UNAVAILABLE");
  }

  @Test
  void aRejectionWithNothingInFlightIsReleasedAtOnce() {
    pending.reject(client("a"), new StreamEntity.Failed(ErrorCode.UNAVAILABLE, "busy"));

    assertThat(released).containsExactly("a:UNAVAILABLE");
  }

  @Test
  void aStorageFailureFailsEveryAppendInFlightAndTheirSessionsOnlyOnceTheStreamletIsSealed() {
    pending.accept(batch(0), 1, client("a"), "s1");
    pending.accept(batch(1), 1, client("b"), "s2");
    pending.reject(client("c"), new StreamEntity.Failed(ErrorCode.UNAVAILABLE, "busy"));

    int failed = pending.failInFlight(new StreamEntity.Failed(ErrorCode.STORAGE, "WAL failed"));

    assertThat(failed).isEqualTo(2);
    assertThat(released).isEmpty(); // held until the seal is written
    assertThat(sessions.hasFailed("s1")).isTrue();
    assertThat(sessions.hasFailed("s2")).isTrue();

    pending.releaseHeld();

    assertThat(released).containsExactly("a:STORAGE", "b:STORAGE", "c:UNAVAILABLE");
  }

  @Test
  void heldFailuresMayBeDurableWhenTheSealCannotBeWritten() {
    pending.accept(batch(0), 1, client("a"), null);
    pending.failInFlight(new StreamEntity.Failed(ErrorCode.STORAGE, "WAL failed"));

    pending.heldMayBeDurable();

    assertThat(released).containsExactly("a:OTHER");
  }

  @Test
  void aDurableAppendBehindAFailedOneIsNotAcknowledgedAgain() {
    pending.accept(batch(0), 1, client("a"), null);
    pending.failInFlight(new StreamEntity.Failed(ErrorCode.STORAGE, "WAL failed"));

    assertThat(pending.firstInFlight()).isNull();
  }

  @Test
  void stoppingAnswersEveryQueuedAppendInFlightAsMaybeDurable() {
    pending.accept(batch(0), 1, client("a"), null);
    pending.reject(client("b"), new StreamEntity.AppendResult(new AppendOutcome.SeqNumMismatch(1)));

    pending.stopped();

    // b's 412 counted a, which may never be durable: b gets a retryable error, not that tail.
    assertThat(released).containsExactly("a:OTHER", "b:UNAVAILABLE");
    assertThat(pending.isEmpty()).isTrue();
  }

  @Test
  void supersededFailsEverythingUnsettledIncludingHeldFailures() {
    pending.accept(batch(0), 1, client("a"), "s1");
    pending.failInFlight(new StreamEntity.Failed(ErrorCode.STORAGE, "WAL failed"));
    pending.accept(batch(0), 1, client("b"), "s2");

    int failed = pending.failUnsettled(new StreamEntity.Failed(ErrorCode.OTHER, "moved"), true);

    assertThat(failed).isEqualTo(2);
    assertThat(released).containsExactly("a:OTHER", "b:OTHER");
    assertThat(sessions.hasFailed("s2")).isTrue();
  }
}
