package io.millrace.engine.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.engine.stream.StreamEntity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tail-feed protocol of {@link TailFeeds} against a scripted entity: the test plays the stream
 * entity (what it pushes, in which order, lost or repeated messages, late answers) and a reader
 * that reads like a read session (from its next seq num, again and again; an answer of null means
 * "read the entity", which the test answers from the stream's log). Whatever the entity does, the
 * reader gets every record exactly once and in order, and a stale unsubscribe never ends a newer
 * subscription.
 */
class TailFeedsProtocolTest {
  private static final String STREAM = "s-1";

  private ActorTestKit kit;
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final LinkedBlockingQueue<StreamEntity.Command> toEntity = new LinkedBlockingQueue<>();
  private ActorRef<TailFeeds.Command> feeds;
  private TestProbe<StreamEntity.Command> entity;

  /** The stream's log as the entity has it (durable records). */
  private final List<SequencedRecord> log = new ArrayList<>();

  /** What the reader got, in order. */
  private final List<Long> delivered = new ArrayList<>();

  private long next;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
    entity = kit.createTestProbe();
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private void startFeeds(int recentRecords) {
    startFeeds(recentRecords, 1 << 30);
  }

  private void startFeeds(int recentRecords, long pushWindow) {
    TailFeeds.Settings settings =
        new TailFeeds.Settings(
            true,
            1 << 20,
            recentRecords,
            Duration.ofSeconds(30),
            Duration.ofSeconds(10),
            pushWindow,
            Duration.ofHours(1)); // no ticks: waits never expire during a test
    feeds = kit.spawn(TailFeeds.create(settings, (id, c) -> toEntity.add(c), clock::get));
  }

  private static SequencedRecord rec(long seq) {
    return new SequencedRecord(
        seq, 5_000 + seq, List.of(), ("r" + seq).getBytes(StandardCharsets.UTF_8));
  }

  /** The entity makes records up to (excluding) {@code end} durable; returns them. */
  private List<SequencedRecord> durable(long end) {
    List<SequencedRecord> batch = new ArrayList<>();
    for (long s = log.size(); s < end; s++) {
      SequencedRecord r = rec(s);
      log.add(r);
      batch.add(r);
    }
    return batch;
  }

  private StreamPosition tail() {
    return new StreamPosition(log.size(), log.isEmpty() ? 0 : log.get(log.size() - 1).timestamp());
  }

  private StreamEntity.Subscribe nextSubscribe() throws InterruptedException {
    StreamEntity.Command c = toEntity.poll(10, TimeUnit.SECONDS);
    assertThat(c).isInstanceOf(StreamEntity.Subscribe.class);
    return (StreamEntity.Subscribe) c;
  }

  private void push(StreamEntity.Subscribe sub, StreamEntity.FeedEvent event) {
    sub.subscriber().tell(event);
  }

  private void pushRecords(StreamEntity.Subscribe sub, List<SequencedRecord> records) {
    push(sub, new StreamEntity.FeedRecords(STREAM, sub.subscription(), records, tail()));
  }

  private TailFeeds.Stats stats() throws Exception {
    CompletableFuture<TailFeeds.Stats> f = new CompletableFuture<>();
    feeds.tell(new TailFeeds.Probe(f));
    return f.get(10, TimeUnit.SECONDS);
  }

  /** The reader's next read at most {@code count} records; not answered yet if it waits. */
  private CompletableFuture<ReadOutcome> ask(long count) throws Exception {
    CompletableFuture<ReadOutcome> answer = new CompletableFuture<>();
    feeds.tell(
        new TailFeeds.Read(
            STREAM,
            new ReadRequest(new ReadStart.SeqNum(next), false, count, null, null, 10),
            answer));
    stats(); // the feeds actor has handled the read
    return answer;
  }

  /**
   * Takes the reader's answer: a batch from the feed, or (null) a read of the entity, answered here
   * from the log; returns whether the feed answered.
   */
  private boolean take(CompletableFuture<ReadOutcome> answer, long count) throws Exception {
    ReadOutcome o = answer.get(10, TimeUnit.SECONDS);
    List<SequencedRecord> records;
    if (o == null) {
      records = log.subList((int) next, (int) Math.min(log.size(), next + count));
    } else {
      records = ((ReadOutcome.Batch) o).batch().records();
    }
    for (SequencedRecord r : records) {
      delivered.add(r.seqNum());
    }
    if (!records.isEmpty()) {
      next = records.get(records.size() - 1).seqNum() + 1;
    }
    return o != null;
  }

  private boolean readOnce(long count) throws Exception {
    return take(ask(count), count);
  }

  private static List<Long> range(long n) {
    return LongStream.range(0, n).boxed().toList();
  }

  @Test
  void theHandOverFromCatchUpToPushAndBackLosesAndRepeatsNothing() throws Exception {
    startFeeds(16384);
    durable(3);
    // The first read subscribes and reads the entity.
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe sub = nextSubscribe();
    // Records become durable between the catch-up read and the entity's answer to the subscribe.
    durable(5);
    push(sub, new StreamEntity.FeedStarted(STREAM, sub.subscription(), entity.ref(), tail()));
    // Behind the live feed's tail, with nothing recent: the entity again.
    assertThat(readOnce(100)).isFalse();
    assertThat(next).isEqualTo(5);
    // At the tail: it waits in the feed, and gets the pushed batch.
    CompletableFuture<ReadOutcome> waiting = ask(100);
    assertThat(stats().waiters()).isEqualTo(1);
    pushRecords(sub, durable(9));
    assertThat(take(waiting, 100)).isTrue();
    // A reader that took only part of a batch is answered from the recent records.
    pushRecords(sub, durable(12));
    assertThat(readOnce(2)).isTrue();
    assertThat(readOnce(100)).isTrue();
    assertThat(delivered).isEqualTo(range(12));
    assertThat(stats().servedFromRecent()).isEqualTo(2);
  }

  @Test
  void aLostPushEndsTheFeedItsWaitersReadTheEntityAndTheFeedSubscribesAgain() throws Exception {
    startFeeds(16384);
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe first = nextSubscribe();
    push(first, new StreamEntity.FeedStarted(STREAM, first.subscription(), entity.ref(), tail()));
    CompletableFuture<ReadOutcome> waiting = ask(100);
    pushRecords(first, durable(4));
    assertThat(take(waiting, 100)).isTrue();

    // The push of 4..6 is lost between nodes; 6..8 arrives while the reader waits at 4.
    waiting = ask(100);
    durable(6);
    pushRecords(first, durable(8));
    // The waiter reads the entity; the entity is told to end exactly that subscription.
    assertThat(take(waiting, 100)).isFalse();
    assertThat(entity.expectMessageClass(StreamEntity.Unsubscribe.class).subscription())
        .isEqualTo(first.subscription());
    StreamEntity.Subscribe second = nextSubscribe();
    assertThat(second.subscription()).isNotEqualTo(first.subscription());

    // A push of the old subscription still on its way is ignored.
    pushRecords(first, durable(9));
    push(second, new StreamEntity.FeedStarted(STREAM, second.subscription(), entity.ref(), tail()));
    assertThat(readOnce(100)).isFalse(); // 8 is behind the new feed's tail (9)
    waiting = ask(100);
    pushRecords(second, durable(10));
    assertThat(take(waiting, 100)).isTrue();
    assertThat(delivered).isEqualTo(range(10));
  }

  @Test
  void aRepeatedPushNeverReachesAReaderTwice() throws Exception {
    startFeeds(16384);
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe sub = nextSubscribe();
    push(sub, new StreamEntity.FeedStarted(STREAM, sub.subscription(), entity.ref(), tail()));
    CompletableFuture<ReadOutcome> waiting = ask(100);
    List<SequencedRecord> batch = durable(5);
    pushRecords(sub, batch);
    assertThat(take(waiting, 100)).isTrue();
    waiting = ask(100);
    // The same batch again (a duplicated message): not contiguous with the feed's tail.
    pushRecords(sub, batch);
    assertThat(take(waiting, 100)).isFalse();
    pushRecords(sub, durable(7));
    assertThat(readOnce(100)).isFalse();
    assertThat(delivered).isEqualTo(range(7));
    assertThat(nextSubscribe().subscription()).isNotEqualTo(sub.subscription());
  }

  @Test
  void aSlowReaderBehindTheRecentRecordsFallsBackAndComesBackToThePush() throws Exception {
    startFeeds(4);
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe sub = nextSubscribe();
    push(sub, new StreamEntity.FeedStarted(STREAM, sub.subscription(), entity.ref(), tail()));
    // The reader is busy while 20 records are pushed; the feed keeps only the last 4.
    for (int end = 5; end <= 20; end += 5) {
      pushRecords(sub, durable(end));
    }
    assertThat(readOnce(3)).isFalse(); // 0..2 from the entity
    assertThat(readOnce(13)).isFalse(); // 3..15 from the entity
    assertThat(readOnce(2)).isTrue(); // 16..17 from the recent records
    assertThat(readOnce(100)).isTrue(); // 18..19
    CompletableFuture<ReadOutcome> waiting = ask(100);
    pushRecords(sub, durable(21));
    assertThat(take(waiting, 100)).isTrue();
    assertThat(delivered).isEqualTo(range(21));
  }

  @Test
  void aLateAnswerToAGivenUpSubscriptionUnsubscribesOnlyThatSubscription() throws Exception {
    startFeeds(16384);
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe first = nextSubscribe();
    // The entity answers only after the feed resubscribed (here: after a lost contiguity).
    push(first, new StreamEntity.FeedStarted(STREAM, first.subscription(), entity.ref(), tail()));
    pushRecords(first, List.of(rec(3))); // a gap: resubscribe
    entity.expectMessageClass(StreamEntity.Unsubscribe.class);
    StreamEntity.Subscribe second = nextSubscribe();
    push(first, new StreamEntity.FeedStarted(STREAM, first.subscription(), entity.ref(), tail()));
    // The late answer is told to end the first subscription only, which the entity can tell
    // from the second one of the same subscriber.
    StreamEntity.Unsubscribe u = entity.expectMessageClass(StreamEntity.Unsubscribe.class);
    assertThat(u.subscriber()).isEqualTo(second.subscriber());
    assertThat(u.subscription()).isEqualTo(first.subscription());
    push(second, new StreamEntity.FeedStarted(STREAM, second.subscription(), entity.ref(), tail()));
    assertThat(stats().liveFeeds()).isEqualTo(1);
  }

  @Test
  void theFeedAcknowledgesEveryQuarterWindowAndAFeedEndedForFallingBehindResubscribes()
      throws Exception {
    long size = rec(0).meteredSize();
    startFeeds(16384, 8 * size);
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe first = nextSubscribe();
    assertThat(first.window()).isEqualTo(8 * size);
    push(first, new StreamEntity.FeedStarted(STREAM, first.subscription(), entity.ref(), tail()));
    pushRecords(first, durable(1));
    entity.expectNoMessage(Duration.ofMillis(100));
    pushRecords(first, durable(3)); // a quarter of the window handled: acknowledged
    StreamEntity.FeedAck ack = entity.expectMessageClass(StreamEntity.FeedAck.class);
    assertThat(ack.subscription()).isEqualTo(first.subscription());
    assertThat(ack.bytes()).isEqualTo(3 * size);

    // The entity found the feed a window behind and ended it: the waiter reads the entity, and
    // the next read subscribes again.
    CompletableFuture<ReadOutcome> waiting = ask(1); // 0 from the recent records
    assertThat(take(waiting, 1)).isTrue();
    waiting = ask(100); // 1..2
    assertThat(take(waiting, 100)).isTrue();
    waiting = ask(100); // waits at 3
    durable(12);
    push(first, new StreamEntity.FeedEnded(STREAM, first.subscription()));
    assertThat(take(waiting, 100)).isFalse();
    assertThat(stats().feeds()).isZero();
    assertThat(readOnce(100)).isFalse();
    StreamEntity.Subscribe second = nextSubscribe();
    push(second, new StreamEntity.FeedStarted(STREAM, second.subscription(), entity.ref(), tail()));
    waiting = ask(100);
    pushRecords(second, durable(13));
    assertThat(take(waiting, 100)).isTrue();
    assertThat(delivered).isEqualTo(range(13));
  }
}
