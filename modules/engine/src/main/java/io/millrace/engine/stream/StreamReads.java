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
import java.util.ArrayList;
import java.util.Iterator;
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
 * readers there, so readers never hold back the entity or its writers. Pushes are flow controlled:
 * at most a subscriber's window of metered bytes beyond what it acknowledged ({@link
 * StreamEntity.FeedAck}); a subscriber that falls further behind is ended instead ({@link
 * StreamEntity.FeedEnded}), and its node's readers fall back to catch-up reads.
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

  /** A tail-feed subscription and its flow control (metered bytes pushed and acknowledged). */
  private static final class Subscriber {
    final StreamEntity.Subscribe sub;
    long pushed;
    long acked;

    Subscriber(StreamEntity.Subscribe sub) {
      this.sub = sub;
    }
  }

  private final Map<ActorRef<StreamEntity.FeedEvent>, Subscriber> subscribers =
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
    boolean added = subscribers.put(m.subscriber(), new Subscriber(m)) == null;
    m.subscriber().tell(new StreamEntity.FeedStarted(m.streamId(), m.subscription(), self, tail));
    return added;
  }

  /** For {@link #unsubscribe}: whatever the subscriber's current subscription is (it is gone). */
  static final long ANY_SUBSCRIPTION = -1;

  /**
   * Drops subscriber {@code ref} if its current subscription is {@code subscription} (or for {@link
   * #ANY_SUBSCRIPTION}); returns whether it was dropped. An unsubscribe of an earlier subscription
   * leaves a newer one of the same subscriber in place.
   */
  boolean unsubscribe(ActorRef<StreamEntity.FeedEvent> ref, long subscription) {
    Subscriber current = subscribers.get(ref);
    if (current == null
        || (subscription != ANY_SUBSCRIPTION && current.sub.subscription() != subscription)) {
      return false;
    }
    subscribers.remove(ref);
    return true;
  }

  /** Subscriber {@code ref} has handled {@code bytes} pushed to its {@code subscription} in all. */
  void acknowledged(ActorRef<StreamEntity.FeedEvent> ref, long subscription, long bytes) {
    Subscriber s = subscribers.get(ref);
    if (s != null && s.sub.subscription() == subscription) {
      s.acked = Math.max(s.acked, Math.min(bytes, s.pushed));
    }
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

  /**
   * {@code records} became durable, up to {@code tail}: every waiter gets what it can take, every
   * subscriber within its window is pushed them. Returns the subscribers ended because they fell a
   * window behind (the caller unwatches them).
   */
  List<ActorRef<StreamEntity.FeedEvent>> publish(
      List<SequencedRecord> records, StreamPosition tail) {
    List<ActorRef<StreamEntity.FeedEvent>> ended = List.of();
    if (!subscribers.isEmpty()) {
      long bytes = 0;
      for (SequencedRecord r : records) {
        bytes += r.meteredSize();
      }
      for (Iterator<Subscriber> it = subscribers.values().iterator(); it.hasNext(); ) {
        Subscriber s = it.next();
        StreamEntity.Subscribe sub = s.sub;
        if (sub.window() > 0 && s.pushed - s.acked + bytes > Math.max(sub.window(), bytes)) {
          sub.subscriber().tell(new StreamEntity.FeedEnded(sub.streamId(), sub.subscription()));
          it.remove();
          ended = ended.isEmpty() ? new ArrayList<>() : ended;
          ended.add(sub.subscriber());
          continue;
        }
        s.pushed += bytes;
        sub.subscriber()
            .tell(new StreamEntity.FeedRecords(sub.streamId(), sub.subscription(), records, tail));
      }
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
    return ended;
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
    for (Subscriber s : subscribers.values()) {
      s.sub.subscriber().tell(new StreamEntity.FeedEnded(s.sub.streamId(), s.sub.subscription()));
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
