package io.millrace.engine.read;

import com.typesafe.config.Config;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.engine.stream.StreamEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Push tailing on one node (issue 12 item 3): one subscription per stream per node to the stream
 * entity's durable records ({@link StreamEntity.Subscribe}), fanned out to every reader of this
 * node that waits at the tail. One actor per node holds every feed.
 *
 * <p>A read that may wait at the tail (a seq num start, wait > 0, no clamp) asks its feed first:
 *
 * <ul>
 *   <li>at the feed's tail: it waits here, and gets the next pushed batch (within its own limits)
 *       or an empty batch when its wait expires; the entity holds no state for it;
 *   <li>behind the tail but within the feed's recent records (a bounded window, {@code
 *       recent-bytes} / {@code recent-records}): it is answered at once from them, with the tail,
 *       so a reader that was busy delivering the previous batch catches up without asking the
 *       entity;
 *   <li>otherwise (no live feed yet, behind the window, ahead of the feed): the feed answers {@code
 *       null} and the caller reads the entity directly, a catch-up read (or the entity's own
 *       long-poll). A slow reader thus falls back to catch-up reads on its own; nothing is buffered
 *       for it and it never holds back the entity, its writers or other readers.
 * </ul>
 *
 * <p>A feed starts on the first such read of a stream on this node, and ends when the entity stops
 * pushing ({@link StreamEntity.FeedEnded}: passivation, a move to another node, deletion), when the
 * entity's actor terminates (its node left), when a pushed batch does not follow the feed's tail
 * (it resubscribes), or when no reader used it for {@code linger}. Its waiting readers then read
 * the entity directly, which re-homes them to wherever the stream lives now. Every answer starts
 * exactly at the seq num asked for and pushed batches are checked to be contiguous, so there are no
 * gaps or duplicates at the hand-over from catch-up to push.
 *
 * <p>Memory: a waiting reader costs one small waiter entry (its request and future) and no timer
 * (one periodic tick expires waits); a fed stream costs at most its recent-records window.
 */
public final class TailFeeds {
  private TailFeeds() {}

  /** Settings ({@code millrace.engine.tail-feeds.*}). */
  public record Settings(
      boolean enabled,
      long recentBytes,
      int recentRecords,
      Duration linger,
      Duration subscribeTimeout,
      long pushWindow,
      Duration tick) {

    public static Settings fromConfig(Config root) {
      Config c = root.getConfig("millrace.engine.tail-feeds");
      return new Settings(
          c.getBoolean("enabled"),
          c.getBytes("recent-bytes"),
          c.getInt("recent-records"),
          c.getDuration("linger"),
          c.getDuration("subscribe-timeout"),
          c.getBytes("push-window"),
          Duration.ofMillis(100));
    }
  }

  /** Messages of the feeds actor; all node-local except the wrapped {@link FeedEvent}s. */
  public sealed interface Command {}

  /**
   * A read that may wait at the tail of stream {@code streamId}: {@code answer} completes with its
   * outcome, or with null when the caller must read the entity directly.
   */
  public record Read(String streamId, ReadRequest request, CompletableFuture<ReadOutcome> answer)
      implements Command {}

  /** What an entity pushed. */
  record Pushed(StreamEntity.FeedEvent event) implements Command {}

  /** The entity actor of a feed terminated. */
  record EntityGone(String streamId, long subscription) implements Command {}

  record Tick() implements Command {}

  /** Counts for tests and metrics (read through {@link #probe}). */
  public record Stats(
      int feeds,
      int liveFeeds,
      int waiters,
      long subscriptions,
      long servedFromRecent,
      long fellBack) {}

  /** Asks for the {@link Stats} of the feeds. */
  public record Probe(CompletableFuture<Stats> answer) implements Command {}

  /** Whether {@code r} may be served by a feed: it may wait at the tail of a seq num position. */
  public static boolean eligible(ReadRequest r) {
    return r.start() instanceof ReadStart.SeqNum
        && r.waitSecs() != null
        && r.waitSecs() > 0
        && !r.clamp();
  }

  /**
   * The feeds actor; {@code toEntity} sends a command to a stream's entity through Cluster Sharding
   * (a subscription goes wherever the stream lives).
   */
  public static Behavior<Command> create(
      Settings settings, BiConsumer<String, StreamEntity.Command> toEntity, LongSupplier clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new Feeds(settings, toEntity, clock, ctx, timers).behavior()));
  }

  private record Waiter(
      ReadRequest request, CompletableFuture<ReadOutcome> answer, long deadline) {}

  /** One stream's feed. */
  private static final class Feed {
    final long subscription;
    final long subscribedAt;
    ActorRef<StreamEntity.Command> entity; // null until the entity answered
    StreamPosition tail;

    /** Recent records, contiguous, ending right before the tail; {@code head} is the first. */
    final List<SequencedRecord> recent = new ArrayList<>();

    int head;
    long recentBytes;

    /** Metered bytes pushed to this subscription in all, and the last amount acknowledged. */
    long receivedBytes;

    long ackedBytes;

    final List<Waiter> waiters = new ArrayList<>();
    long lastUsed;

    Feed(long subscription, long now) {
      this.subscription = subscription;
      this.subscribedAt = now;
      this.lastUsed = now;
    }

    boolean live() {
      return entity != null;
    }

    long next() {
      return tail.seqNum();
    }

    long firstRecent() {
      return head < recent.size() ? recent.get(head).seqNum() : next();
    }

    int recentCount() {
      return recent.size() - head;
    }
  }

  private static final class Feeds {
    private final Settings settings;
    private final BiConsumer<String, StreamEntity.Command> toEntity;
    private final LongSupplier clock;
    private final ActorContext<Command> ctx;
    private final ActorRef<StreamEntity.FeedEvent> self;
    private final Map<String, Feed> feeds = new HashMap<>();
    private long nextSubscription;
    private long servedFromRecent;
    private long fellBack;

    Feeds(
        Settings settings,
        BiConsumer<String, StreamEntity.Command> toEntity,
        LongSupplier clock,
        ActorContext<Command> ctx,
        TimerScheduler<Command> timers) {
      this.settings = settings;
      this.toEntity = toEntity;
      this.clock = clock;
      this.ctx = ctx;
      this.self = ctx.messageAdapter(StreamEntity.FeedEvent.class, Pushed::new);
      timers.startTimerWithFixedDelay("tick", new Tick(), settings.tick());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Read.class, this::onRead)
          .onMessage(Pushed.class, this::onPushed)
          .onMessage(EntityGone.class, m -> ended(m.streamId(), m.subscription(), false))
          .onMessage(Tick.class, this::onTick)
          .onMessage(Probe.class, this::onProbe)
          .build();
    }

    private Behavior<Command> onRead(Read m) {
      long now = clock.getAsLong();
      long seq = ((ReadStart.SeqNum) m.request().start()).seqNum();
      Feed f = feeds.get(m.streamId());
      if (f == null) {
        subscribe(m.streamId(), now);
        return direct(m);
      }
      f.lastUsed = now;
      if (!f.live() || seq > f.next() || seq < f.firstRecent()) {
        return direct(m);
      }
      if (seq == f.next()) {
        long deadline = now + m.request().waitSecs() * 1000L;
        f.waiters.add(new Waiter(m.request(), m.answer(), deadline));
        return Behaviors.same();
      }
      ReadRules.Collector c = ReadRules.Collector.forUnary(m.request());
      for (int i = f.head + (int) (seq - f.firstRecent()); i < f.recent.size(); i++) {
        if (!c.offer(f.recent.get(i))) {
          break;
        }
      }
      servedFromRecent++;
      m.answer().complete(new ReadOutcome.Batch(new ReadBatch(c.records(), f.tail)));
      return Behaviors.same();
    }

    private Behavior<Command> direct(Read m) {
      fellBack++;
      m.answer().complete(null);
      return Behaviors.same();
    }

    private void subscribe(String streamId, long now) {
      long id = nextSubscription++;
      feeds.put(streamId, new Feed(id, now));
      toEntity.accept(
          streamId, new StreamEntity.Subscribe(streamId, id, self, settings.pushWindow()));
    }

    private Behavior<Command> onPushed(Pushed m) {
      StreamEntity.FeedEvent e = m.event();
      Feed f = feeds.get(e.streamId());
      if (f == null || f.subscription != e.subscription()) {
        if (e instanceof StreamEntity.FeedStarted s) {
          // A subscription this node gave up on (timed out, lingered): let the entity forget it.
          s.entity().tell(new StreamEntity.Unsubscribe(self, s.subscription()));
        }
        return Behaviors.same();
      }
      if (e instanceof StreamEntity.FeedStarted s) {
        f.entity = s.entity();
        f.tail = s.tail();
        ctx.watchWith(s.entity(), new EntityGone(s.streamId(), s.subscription()));
      } else if (e instanceof StreamEntity.FeedRecords r) {
        if (!f.live()
            || r.records().isEmpty()
            || r.records().get(0).seqNum() != f.next()
            || r.tail().seqNum() != r.records().get(r.records().size() - 1).seqNum() + 1) {
          // Not contiguous with what this feed has (a lost message across nodes): start over.
          ctx.getLog()
              .debug("Tail feed of stream {} lost contiguity; resubscribing.", e.streamId());
          ended(e.streamId(), e.subscription(), true);
          subscribe(e.streamId(), clock.getAsLong());
          return Behaviors.same();
        }
        append(f, r.records());
        f.tail = r.tail();
        acknowledge(f, r.records());
        for (Waiter w : f.waiters) {
          ReadRules.Collector c = ReadRules.Collector.forUnary(w.request());
          for (SequencedRecord rec : r.records()) {
            if (!c.offer(rec)) {
              break;
            }
          }
          w.answer().complete(new ReadOutcome.Batch(new ReadBatch(c.records(), r.tail())));
        }
        f.waiters.clear();
      } else {
        ended(e.streamId(), e.subscription(), false);
      }
      return Behaviors.same();
    }

    /**
     * Flow control: tells the entity what this feed has handled once a quarter of the push window
     * has arrived since the last acknowledgement (one message per quarter window, not per push).
     */
    private void acknowledge(Feed f, List<SequencedRecord> records) {
      for (SequencedRecord r : records) {
        f.receivedBytes += r.meteredSize();
      }
      if (f.receivedBytes - f.ackedBytes >= settings.pushWindow() / 4) {
        f.ackedBytes = f.receivedBytes;
        f.entity.tell(new StreamEntity.FeedAck(self, f.subscription, f.receivedBytes));
      }
    }

    /** Adds pushed records to the recent window and drops the oldest beyond its bounds. */
    private void append(Feed f, List<SequencedRecord> records) {
      for (SequencedRecord r : records) {
        f.recent.add(r);
        f.recentBytes += r.meteredSize();
      }
      while (f.recentCount() > 0
          && (f.recentBytes > settings.recentBytes()
              || f.recentCount() > settings.recentRecords())) {
        f.recentBytes -= f.recent.get(f.head).meteredSize();
        f.recent.set(f.head, null);
        f.head++;
      }
      if (f.head > 64 && f.head * 2 > f.recent.size()) {
        f.recent.subList(0, f.head).clear();
        f.head = 0;
      }
    }

    /**
     * Ends the feed of {@code streamId} if it is subscription {@code subscription}: its waiting
     * readers read the entity directly (wherever it lives now); {@code unsubscribe} also tells a
     * live entity to stop pushing.
     */
    private Behavior<Command> ended(String streamId, long subscription, boolean unsubscribe) {
      Feed f = feeds.get(streamId);
      if (f == null || f.subscription != subscription) {
        return Behaviors.same();
      }
      feeds.remove(streamId);
      if (f.live()) {
        ctx.unwatch(f.entity);
        if (unsubscribe) {
          f.entity.tell(new StreamEntity.Unsubscribe(self, f.subscription));
        }
      }
      for (Waiter w : f.waiters) {
        fellBack++;
        w.answer().complete(null);
      }
      return Behaviors.same();
    }

    private Behavior<Command> onTick(Tick m) {
      long now = clock.getAsLong();
      for (Iterator<Map.Entry<String, Feed>> it = feeds.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Feed> e = it.next();
        Feed f = e.getValue();
        if (!f.waiters.isEmpty()) {
          f.waiters.removeIf(
              w -> {
                if (w.deadline() > now && !w.answer().isDone()) {
                  return false;
                }
                // The wait expired: an empty batch without a tail, like the entity's long-poll.
                w.answer().complete(new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
                return true;
              });
          if (!f.waiters.isEmpty()) {
            f.lastUsed = now;
          }
        }
        boolean stale =
            f.live()
                ? now - f.lastUsed >= settings.linger().toMillis()
                : now - f.subscribedAt >= settings.subscribeTimeout().toMillis();
        if (stale && f.waiters.isEmpty()) {
          it.remove();
          if (f.live()) {
            ctx.unwatch(f.entity);
            f.entity.tell(new StreamEntity.Unsubscribe(self, f.subscription));
          }
        }
      }
      return Behaviors.same();
    }

    private Behavior<Command> onProbe(Probe m) {
      int live = 0;
      int waiting = 0;
      for (Feed f : feeds.values()) {
        live += f.live() ? 1 : 0;
        waiting += f.waiters.size();
      }
      m.answer()
          .complete(
              new Stats(feeds.size(), live, waiting, nextSubscription, servedFromRecent, fellBack));
      return Behaviors.same();
    }
  }
}
