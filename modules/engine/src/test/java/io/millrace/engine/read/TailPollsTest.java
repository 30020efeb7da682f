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

  /** How many entity reads the polls started. */
  private final AtomicInteger direct = new AtomicInteger();

  private static ReadRequest at(long seq, long count, int waitSecs) {
    return new ReadRequest(new ReadStart.SeqNum(seq), false, count, 1024L * 1024, null, waitSecs);
  }

  private static SequencedRecord rec(long seq) {
    return new SequencedRecord(seq, seq * 10, List.of(), new byte[] {(byte) seq});
  }

  @Test
  void readersWaitingAtTheSamePositionShareOneEntityReadAndEachGetsItsOwnLimits() {
    CompletableFuture<ReadOutcome> entity = new CompletableFuture<>();
    List<CompletionStage<ReadOutcome>> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(read("s1", at(5, i == 3 ? 1 : 1000, 10), entity));
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
    readOnce("s1", at(5, 10, 10));
    readOnce("s1", at(6, 10, 10));
    readOnce("s2", at(5, 10, 10));
    readOnce("s1", new ReadRequest(new ReadStart.SeqNum(5), false, 10L, 10L, null, null));
    assertThat(direct).hasValue(4);
  }

  @Test
  void aReaderWillingToWaitLessThanTheSharedPollStartsItsOwn() {
    readOnce("s1", at(5, 10, 15));
    readOnce("s1", at(5, 10, 2));
    assertThat(direct).hasValue(2);
  }

  @Test
  void aReaderWithWiderLimitsThanTheSharedPollStartsItsOwn() {
    readOnce("s1", at(5, 1, 10));
    readOnce("s1", at(5, 1000, 10));
    ReadRequest untilBound =
        new ReadRequest(new ReadStart.SeqNum(7), false, 1000L, 1024L * 1024, 50L, 10);
    readOnce("s1", untilBound);
    readOnce("s1", at(7, 1000, 10));
    assertThat(direct).hasValue(4);
  }

  @Test
  void aFinishedPollIsNotJoined() {
    read(
        "s1",
        at(5, 10, 10),
        CompletableFuture.completedFuture(new ReadOutcome.Batch(new ReadBatch(List.of(), null))));
    readOnce("s1", at(5, 10, 10));
    assertThat(direct).hasValue(2);
  }

  /** A read of {@code stream} whose entity read, if it starts one, answers {@code entity}. */
  private CompletionStage<ReadOutcome> read(
      String stream, ReadRequest request, CompletionStage<ReadOutcome> entity) {
    return polls.read(
        stream,
        request,
        req -> {
          direct.incrementAndGet();
          return entity;
        });
  }

  /** A read of {@code stream} whose entity read, if it starts one, never answers. */
  private void readOnce(String stream, ReadRequest request) {
    read(stream, request, new CompletableFuture<>());
  }
}
