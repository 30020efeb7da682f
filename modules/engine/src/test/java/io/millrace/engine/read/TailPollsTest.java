package io.millrace.engine.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TailPollsTest {
  private long now = 1_000_000;
  private final TailPolls polls = new TailPolls(() -> now);

  private static ReadRequest at(long seq, long count, int waitSecs) {
    return new ReadRequest(new ReadStart.SeqNum(seq), false, count, 1024L * 1024, null, waitSecs);
  }

  private static SequencedRecord rec(long seq) {
    return new SequencedRecord(seq, seq * 10, List.of(), new byte[] {(byte) seq});
  }

  @Test
  void readersWaitingAtTheSamePositionShareOneEntityReadAndEachGetsItsOwnLimits() {
    AtomicInteger direct = new AtomicInteger();
    CompletableFuture<ReadOutcome> entity = new CompletableFuture<>();
    List<CompletionStage<ReadOutcome>> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(
          polls.read(
              "s1",
              at(5, i == 3 ? 1 : 1000, 10),
              req -> {
                direct.incrementAndGet();
                return entity;
              }));
    }
    assertThat(direct).hasValue(1);
    assertThat(polls.outstanding()).isEqualTo(1);
    StreamPosition tail = new StreamPosition(8, 70);
    entity.complete(new ReadOutcome.Batch(new ReadBatch(List.of(rec(5), rec(6), rec(7)), tail)));
    for (int i = 0; i < 10; i++) {
      ReadBatch b = ((ReadOutcome.Batch) answers.get(i).toCompletableFuture().join()).batch();
      assertThat(b.records()).hasSize(i == 3 ? 1 : 3);
      assertThat(b.tail()).isEqualTo(tail);
    }
    assertThat(polls.outstanding()).isZero();
  }

  @Test
  void readersAtOtherPositionsOrStreamsOrWithoutWaitReadDirectly() {
    AtomicInteger direct = new AtomicInteger();
    polls.read("s1", at(5, 10, 10), req -> count(direct));
    polls.read("s1", at(6, 10, 10), req -> count(direct));
    polls.read("s2", at(5, 10, 10), req -> count(direct));
    polls.read(
        "s1",
        new ReadRequest(new ReadStart.SeqNum(5), false, 10L, 10L, null, null),
        req -> count(direct));
    assertThat(direct).hasValue(4);
  }

  @Test
  void aReaderWillingToWaitLessThanTheSharedPollStartsItsOwn() {
    AtomicInteger direct = new AtomicInteger();
    polls.read("s1", at(5, 10, 15), req -> count(direct));
    polls.read("s1", at(5, 10, 2), req -> count(direct));
    assertThat(direct).hasValue(2);
  }

  @Test
  void aReaderWithWiderLimitsThanTheSharedPollStartsItsOwn() {
    AtomicInteger direct = new AtomicInteger();
    polls.read("s1", at(5, 1, 10), req -> count(direct));
    polls.read("s1", at(5, 1000, 10), req -> count(direct));
    ReadRequest untilBound =
        new ReadRequest(new ReadStart.SeqNum(7), false, 1000L, 1024L * 1024, 50L, 10);
    polls.read("s1", untilBound, req -> count(direct));
    polls.read("s1", at(7, 1000, 10), req -> count(direct));
    assertThat(direct).hasValue(4);
  }

  @Test
  void aFinishedPollIsNotJoined() {
    AtomicInteger direct = new AtomicInteger();
    polls.read(
        "s1",
        at(5, 10, 10),
        req -> {
          direct.incrementAndGet();
          return CompletableFuture.completedFuture(
              new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
        });
    polls.read("s1", at(5, 10, 10), req -> count(direct));
    assertThat(direct).hasValue(2);
  }

  private static CompletionStage<ReadOutcome> count(AtomicInteger direct) {
    direct.incrementAndGet();
    return new CompletableFuture<>();
  }
}
