package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.lifecycle.RetentionHorizon;
import io.millrace.engine.read.ReadPlan;
import io.millrace.metadata.SegmentRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

class StreamReadsTest {
  private final Map<Long, Duration> timers = new HashMap<>();
  private final StreamReads reads = new StreamReads(timers::put, timers::remove);
  private final List<StreamEntity.ReadReply> replies = new ArrayList<>();

  private static SequencedRecord record(long seqNum) {
    return new SequencedRecord(seqNum, 1000 + seqNum, List.of(), new byte[] {1});
  }

  private static StreamSequencer.State durableAt(long next) {
    return new StreamSequencer.State(next, 1000 + next, "", 0);
  }

  private static ReadRequest fromSeqNum(long seqNum, Integer waitSecs) {
    return new ReadRequest(new ReadStart.SeqNum(seqNum), false, null, null, null, waitSecs);
  }

  private void read(ReadRequest request, long durableNext, List<SegmentRecord> segments) {
    read(request, durableNext, segments, RetentionHorizon.NONE);
  }

  /** A read of a stream whose records with a timestamp below {@code cutoff} are expired. */
  private void read(
      ReadRequest request, long durableNext, List<SegmentRecord> segments, long cutoff) {
    List<SequencedRecord> memory = new ArrayList<>();
    long first = segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastSeqNum() + 1;
    for (long s = first; s < durableNext; s++) {
      memory.add(record(s));
    }
    reads.read(request, replies::add, durableAt(durableNext), false, segments, memory, cutoff);
  }

  @Test
  void aReadPastTheTailIsNotSatisfiable() {
    read(fromSeqNum(9, null), 3, List.of());

    assertThat(replies)
        .containsExactly(
            new StreamEntity.ReadResult(
                new ReadOutcome.RangeNotSatisfiable(new StreamPosition(3, 1003))));
  }

  @Test
  void aCatchUpReadIsPlannedOverTheSegmentsAndTheUnflushedRecords() {
    SegmentRecord seg = new SegmentRecord("s", 0, 4, 1000, 1004, "segments/s/0-4", 100);

    read(fromSeqNum(2, null), 8, List.of(seg));

    StreamEntity.ReadPlanned planned = (StreamEntity.ReadPlanned) replies.get(0);
    assertThat(planned.plan().segments()).containsExactly(seg);
    assertThat(planned.plan().memory())
        .extracting(SequencedRecord::seqNum)
        .containsExactly(5L, 6L, 7L);
    assertThat(planned.plan().tail()).isEqualTo(new StreamPosition(8, 1008));
  }

  @Test
  void aReadAtTheTailWaitsAndGetsTheNextDurableRecords() {
    read(fromSeqNum(3, 5), 3, List.of());
    assertThat(replies).isEmpty();
    assertThat(timers).containsValue(Duration.ofSeconds(5));

    reads.publish(List.of(record(3), record(4)), new StreamPosition(5, 1005));

    ReadOutcome.Batch batch =
        (ReadOutcome.Batch) ((StreamEntity.ReadResult) replies.get(0)).outcome();
    assertThat(batch.batch().records()).extracting(SequencedRecord::seqNum).containsExactly(3L, 4L);
    assertThat(timers).isEmpty();
    assertThat(reads.isEmpty()).isTrue();
  }

  @Test
  void aWaitingReadGetsAnEmptyBatchWhenItsWaitExpires() {
    read(fromSeqNum(3, 5), 3, List.of());
    long waiter = timers.keySet().iterator().next();

    reads.expired(waiter);

    assertThat(replies).containsExactly(StreamReads.EMPTY);
  }

  @Test
  void waitingReadsFailWhenTheStreamMoved() {
    read(fromSeqNum(3, 5), 3, List.of());

    StreamEntity.Failed moved = new StreamEntity.Failed(ErrorCode.UNAVAILABLE, "stream moved");
    reads.failAll(moved);

    assertThat(replies).containsExactly(moved);
    assertThat(timers).isEmpty();
  }

  // ---------------------------------------------------------------- retention

  @Test
  void aReadBelowTheRetentionHorizonStartsAtTheFirstRetainedRecord() {
    SegmentRecord expired = new SegmentRecord("s", 0, 4, 1000, 1004, "segments/s/0-4", 100);

    read(fromSeqNum(0, null), 8, List.of(expired), 1006);

    ReadPlan plan = ((StreamEntity.ReadPlanned) replies.get(0)).plan();
    assertThat(plan.segments()).isEmpty();
    assertThat(plan.memory()).extracting(SequencedRecord::seqNum).containsExactly(6L, 7L);
  }

  @Test
  void aPartlyExpiredSegmentIsReadWithItsExpiredRecordsHidden() {
    SegmentRecord partly = new SegmentRecord("s", 0, 4, 1000, 1004, "segments/s/0-4", 100);

    read(fromSeqNum(0, null), 8, List.of(partly), 1002);

    ReadPlan plan = ((StreamEntity.ReadPlanned) replies.get(0)).plan();
    assertThat(plan.segments()).containsExactly(partly);
    assertThat(plan.start().admits(record(1))).isFalse();
    assertThat(plan.start().admits(record(2))).isTrue();
  }

  @Test
  void aReadOfAStreamWhoseRecordsAllExpiredIsNotSatisfiableAtTheTail() {
    read(fromSeqNum(0, null), 8, List.of(), 5000);

    assertThat(replies)
        .containsExactly(
            new StreamEntity.ReadResult(
                new ReadOutcome.RangeNotSatisfiable(new StreamPosition(8, 1008))));
  }

  @Test
  void anUnsubscribeOfAnEarlierSubscriptionLeavesTheNewerOneOfTheSameNodePushed() {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<StreamEntity.FeedEvent> feed = kit.createTestProbe();
      TestProbe<StreamEntity.Command> self = kit.createTestProbe();
      StreamPosition tail = new StreamPosition(3, 1003);
      assertThat(
              reads.subscribe(
                  new StreamEntity.Subscribe("s", 1, feed.ref(), 1 << 20), self.ref(), tail))
          .isTrue();
      feed.expectMessageClass(StreamEntity.FeedStarted.class);
      // The node resubscribed (through sharding) before its unsubscribe of 1 (sent directly)
      // arrived: the unsubscribe must not end subscription 2.
      assertThat(
              reads.subscribe(
                  new StreamEntity.Subscribe("s", 2, feed.ref(), 1 << 20), self.ref(), tail))
          .isFalse();
      assertThat(feed.expectMessageClass(StreamEntity.FeedStarted.class).subscription())
          .isEqualTo(2);
      assertThat(reads.unsubscribe(feed.ref(), 1)).isFalse();
      reads.publish(List.of(record(3)), new StreamPosition(4, 1003));
      StreamEntity.FeedRecords pushed = feed.expectMessageClass(StreamEntity.FeedRecords.class);
      assertThat(pushed.subscription()).isEqualTo(2);
      assertThat(pushed.records()).extracting(SequencedRecord::seqNum).containsExactly(3L);

      assertThat(reads.unsubscribe(feed.ref(), 2)).isTrue();
      assertThat(reads.isEmpty()).isTrue();
      reads.publish(List.of(record(4)), new StreamPosition(5, 1004));
      feed.expectNoMessage(Duration.ofMillis(100));
      // A subscriber that is gone is dropped whatever its subscription.
      reads.subscribe(new StreamEntity.Subscribe("s", 3, feed.ref(), 1 << 20), self.ref(), tail);
      assertThat(reads.unsubscribe(feed.ref(), StreamReads.ANY_SUBSCRIPTION)).isTrue();
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aSubscriberAWindowBehindIsEndedInsteadOfPushedMore() {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<StreamEntity.FeedEvent> feed = kit.createTestProbe();
      TestProbe<StreamEntity.Command> self = kit.createTestProbe();
      long size = record(0).meteredSize();
      reads.subscribe(
          new StreamEntity.Subscribe("s", 1, feed.ref(), 2 * size),
          self.ref(),
          durableAt(0).tail());
      feed.expectMessageClass(StreamEntity.FeedStarted.class);
      assertThat(reads.publish(List.of(record(0)), durableAt(1).tail())).isEmpty();
      assertThat(reads.publish(List.of(record(1)), durableAt(2).tail())).isEmpty();
      feed.expectMessageClass(StreamEntity.FeedRecords.class);
      feed.expectMessageClass(StreamEntity.FeedRecords.class);
      // It acknowledged the first record: one more fits in its window.
      reads.acknowledged(feed.ref(), 1, size);
      assertThat(reads.publish(List.of(record(2)), durableAt(3).tail())).isEmpty();
      assertThat(feed.expectMessageClass(StreamEntity.FeedRecords.class).records())
          .extracting(SequencedRecord::seqNum)
          .containsExactly(2L);
      // The next would put it beyond its window: it is ended, and pushed nothing more.
      assertThat(reads.publish(List.of(record(3)), durableAt(4).tail()))
          .containsExactly(feed.ref());
      assertThat(feed.expectMessageClass(StreamEntity.FeedEnded.class).subscription()).isEqualTo(1);
      assertThat(reads.isEmpty()).isTrue();
      reads.publish(List.of(record(4)), durableAt(5).tail());
      feed.expectNoMessage(Duration.ofMillis(100));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
