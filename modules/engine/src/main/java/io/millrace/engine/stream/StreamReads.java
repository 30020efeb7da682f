package io.millrace.engine.stream;

import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.lifecycle.RetentionHorizon;
import io.millrace.engine.read.ReadPlan;
import io.millrace.engine.read.ReadPlanner;
import io.millrace.metadata.SegmentRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The reads of a stream entity (architecture section 6): each is answered at once (416, empty),
 * with a read plan over the segments and the unflushed records (fetched outside the entity), or
 * waits at the tail (long-poll). A waiting read is answered with the first records that become
 * durable after it (within its limits), or with an empty batch when its wait expires or the entity
 * stops waiting. Each waiter has a timer of the entity.
 *
 * <p>It also holds the entity's tail-feed subscribers (at most one per node, {@code
 * read/TailFeeds}): each is pushed every batch that becomes durable, in log order, and told when
 * the entity stops pushing. A push is one message to one actor per node, whatever the number of
 * readers there, so readers never hold back the entity or its writers.
 */
final class StreamReads {

  /** Starts the timer of a waiter (the entity's timer scheduler). */
  interface StartTimer {
    void start(long waiterId, Duration after);
  }

  static final StreamEntity.ReadResult EMPTY =
      new StreamEntity.ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(), null)));

  private record Waiter(ReadRequest request, Consumer<StreamEntity.ReadReply> replyTo) {}

  private final Map<Long, Waiter> waiters = new LinkedHashMap<>();
  private final Map<ActorRef<StreamEntity.FeedEvent>, StreamEntity.Subscribe> subscribers =
      new LinkedHashMap<>();
  private final StartTimer startTimer;
  private final LongConsumer cancelTimer;
  private long nextId;

  StreamReads(StartTimer startTimer, LongConsumer cancelTimer) {
    this.startTimer = startTimer;
    this.cancelTimer = cancelTimer;
  }

  /** Whether no read waits and no tail feed is subscribed (the entity may passivate). */
  boolean isEmpty() {
    return waiters.isEmpty() && subscribers.isEmpty();
  }

  /**
   * Subscribes {@code m}'s subscriber from durable {@code tail} on (replacing an earlier
   * subscription of the same subscriber); {@code self} is the entity's ref. Returns whether the
   * subscriber is new (the caller watches it).
   */
  boolean subscribe(
      StreamEntity.Subscribe m, ActorRef<StreamEntity.Command> self, StreamPosition tail) {
    boolean added = subscribers.put(m.subscriber(), m) == null;
    m.subscriber().tell(new StreamEntity.FeedStarted(m.streamId(), m.subscription(), self, tail));
    return added;
  }

  /** Drops subscriber {@code ref} (unsubscribed or gone); returns whether it was subscribed. */
  boolean unsubscribe(ActorRef<StreamEntity.FeedEvent> ref) {
    return subscribers.remove(ref) != null;
  }

  /** How many tail feeds are subscribed (for tests). */
  int subscribers() {
    return subscribers.size();
  }

  /**
   * Answers {@code request} from the stream's {@code durable} state, its {@code segments} and its
   * unflushed records {@code memory}, or lets it wait at the tail (unless {@code draining}).
   * Records below the trim point, and records whose timestamp is below the retention {@code cutoff}
   * ({@link RetentionHorizon#NONE} for none), are skipped as if they were trimmed.
   */
  void read(
      ReadRequest request,
      Consumer<StreamEntity.ReadReply> replyTo,
      StreamSequencer.State durable,
      boolean draining,
      List<SegmentRecord> segments,
      List<SequencedRecord> memory,
      long cutoff) {
    long firstReadable =
        Math.max(
            durable.trimPoint(),
            RetentionHorizon.firstRetained(cutoff, segments, memory, durable.nextSeqNum()));
    ReadRules.Resolution res = ReadRules.resolve(request, durable.tail(), firstReadable, cutoff);
    if (res instanceof ReadRules.NotSatisfiable ns) {
      replyTo.accept(new StreamEntity.ReadResult(new ReadOutcome.RangeNotSatisfiable(ns.tail())));
    } else if (res instanceof ReadRules.Empty || (res instanceof ReadRules.AwaitTail && draining)) {
      replyTo.accept(EMPTY);
    } else if (res instanceof ReadRules.AwaitTail aw) {
      await(request, replyTo, aw.waitMillis());
    } else {
      ReadPlan plan =
          ReadPlanner.plan((ReadRules.CatchUp) res, request, segments, memory, durable.tail());
      replyTo.accept(new StreamEntity.ReadPlanned(plan));
    }
  }

  /** {@code request} waits at the tail for at most {@code waitMillis}. */
  private void await(
      ReadRequest request, Consumer<StreamEntity.ReadReply> replyTo, long waitMillis) {
    long id = nextId++;
    waiters.put(id, new Waiter(request, replyTo));
    startTimer.start(id, Duration.ofMillis(waitMillis));
  }

  /** The wait of waiter {@code waiterId} expired: it gets an empty batch. */
  void expired(long waiterId) {
    Waiter w = waiters.remove(waiterId);
    if (w != null) {
      w.replyTo().accept(EMPTY);
    }
  }

  /** {@code records} became durable, up to {@code tail}: every waiter gets what it can take. */
  void publish(List<SequencedRecord> records, StreamPosition tail) {
    for (StreamEntity.Subscribe sub : subscribers.values()) {
      sub.subscriber()
          .tell(new StreamEntity.FeedRecords(sub.streamId(), sub.subscription(), records, tail));
    }
    answerAll(
        w -> {
          ReadRules.Collector col = ReadRules.Collector.forUnary(w.request());
          for (SequencedRecord r : records) {
            if (!col.offer(r)) {
              break;
            }
          }
          return new StreamEntity.ReadResult(
              new ReadOutcome.Batch(new ReadBatch(col.records(), tail)));
        });
  }

  /** The entity stops waiting (draining, erased, stopped): every waiter gets an empty batch. */
  void releaseAll() {
    answerAll(w -> EMPTY);
    endFeeds();
  }

  /** Every waiter fails with {@code failure}; every tail feed ends. */
  void failAll(StreamEntity.Failed failure) {
    answerAll(w -> failure);
    endFeeds();
  }

  /** Tells every subscriber that the entity stops pushing, and forgets them. */
  private void endFeeds() {
    for (StreamEntity.Subscribe sub : subscribers.values()) {
      sub.subscriber().tell(new StreamEntity.FeedEnded(sub.streamId(), sub.subscription()));
    }
    subscribers.clear();
  }

  private void answerAll(Function<Waiter, StreamEntity.ReadReply> answer) {
    for (Map.Entry<Long, Waiter> e : waiters.entrySet()) {
      cancelTimer.accept(e.getKey());
      e.getValue().replyTo().accept(answer.apply(e.getValue()));
    }
    waiters.clear();
  }
}
