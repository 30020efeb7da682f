package io.millrace.engine;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Asks to stream entities on other nodes that are failed early when a cluster member is lost (issue
 * 12 item 4, docs/adr/0011-fast-failover.md).
 *
 * <p>An ask whose entity lived on a node that crashed gets no answer: without this it waits for the
 * whole ask timeout, and a client that retries at once is routed to the dead node again until the
 * node is downed and removed, so a crashed node's streams would look unavailable for one or two ask
 * timeouts even after they moved. When a member becomes unreachable or is removed, every tracked
 * ask pending for at least {@code minAge} is failed as a timeout (the caller's own "timed out; it
 * may have become durable" error: the outcome is unknown, as after a timeout, and the client
 * retries). Appends to healthy nodes answer in milliseconds, so an ask that old when a member is
 * lost is almost always one addressed to that member; one that was not fails with the same
 * retryable error a timeout would give it. Nothing acknowledged is affected.
 *
 * <p>The loss opens a window of {@code window} after the latest loss event: until it closes, {@link
 * #sweep} (every {@link #SWEEP_INTERVAL} in the {@link #watcher}) also fails the asks that reach
 * the minimum age meanwhile. Those are asks that were younger at the event, or were sent to the
 * lost member after it (its shards are routed to it until it is removed and they are started
 * elsewhere): without the window they waited for their whole timeout (docs/adr/0012).
 *
 * <p>An ask sent after a member's removal while no member is unreachable is never failed early: it
 * cannot have gone to a lost member (the removed member's shards are no longer routed to it, and a
 * message that still reaches its quarantined address is a dead letter, answered at once by {@link
 * io.millrace.engine.stream.UndeliveredRequests}). Such an ask is typically one to a stream that is
 * being recovered on a healthy node, which can take seconds after a failover; failing it would give
 * an outcome-unknown error for an append that is about to succeed (docs/adr/0011, addendum of
 * session 12).
 */
final class MemberLossAsks {
  /** Failure of an ask cut short because a member was lost; handled as a timeout. */
  static final class MemberLost extends TimeoutException {
    MemberLost(String why) {
      super(why);
    }
  }

  private record Pending(CompletableFuture<?> result, long startedNanos) {}

  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  /** How often the {@link #watcher} sweeps while a loss window is open. */
  static final Duration SWEEP_INTERVAL = Duration.ofMillis(200);

  private final long minAgeNanos;
  private final long windowNanos;
  private final LongSupplier nanoTime;
  private final LongAdder failedCount;

  /** When the latest loss window closes (nanoTime), or null when none was opened. */
  private volatile Long windowEndsNanos;

  /** Members unreachable now (from this node's view), by address. */
  private final Set<String> unreachable = ConcurrentHashMap.newKeySet();

  /** When the latest member removal was seen (nanoTime), or null before the first. */
  private volatile Long lastRemovalNanos;

  MemberLossAsks(Duration minAge, Duration window, LongSupplier nanoTime, LongAdder failedCount) {
    this.minAgeNanos = minAge.toNanos();
    this.windowNanos = window.toNanos();
    this.nanoTime = nanoTime;
    this.failedCount = failedCount;
  }

  /** The ask's outcome, which a member loss ({@link #memberUnreachable}) may fail first. */
  <R> CompletionStage<R> track(CompletionStage<R> ask) {
    CompletableFuture<R> result = new CompletableFuture<>();
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(result, nanoTime.getAsLong()));
    ask.whenComplete(
        (r, e) -> {
          pending.remove(id);
          if (e == null) {
            result.complete(r);
          } else {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /**
   * A member became unreachable: fails every tracked ask pending for at least the minimum age and
   * opens (or extends) the loss window; returns how many asks it failed.
   */
  int memberUnreachable(String address) {
    unreachable.add(address);
    windowEndsNanos = nanoTime.getAsLong() + windowNanos;
    return failOld("member " + address + " became unreachable");
  }

  /** A member is reachable again. */
  void memberReachable(String address) {
    unreachable.remove(address);
  }

  /**
   * A member was removed: as {@link #memberUnreachable}, except that asks sent from now on are not
   * failed early unless another member becomes unreachable (or still is).
   */
  int memberRemoved(String address) {
    unreachable.remove(address);
    long now = nanoTime.getAsLong();
    lastRemovalNanos = now;
    windowEndsNanos = now + windowNanos;
    return failOld("member " + address + " was removed");
  }

  /**
   * While a loss window is open, fails the tracked asks that have reached the minimum age; returns
   * how many (0 once the window closed).
   */
  int sweep() {
    Long ends = windowEndsNanos;
    if (ends == null || nanoTime.getAsLong() - ends > 0) {
      return 0;
    }
    return failOld("a cluster member was lost less than " + windowNanos / 1_000_000 + " ms ago");
  }

  /** True while the latest loss window is open. */
  boolean windowOpen() {
    Long ends = windowEndsNanos;
    return ends != null && nanoTime.getAsLong() - ends <= 0;
  }

  private int failOld(String why) {
    long now = nanoTime.getAsLong();
    // Asks sent after the latest removal, with no member unreachable now, went to live members.
    Long removal = unreachable.isEmpty() ? lastRemovalNanos : null;
    int failed = 0;
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      long started = e.getValue().startedNanos();
      if (removal != null && started - removal >= 0) {
        continue;
      }
      if (now - started >= minAgeNanos && pending.remove(e.getKey()) != null) {
        if (e.getValue().result().completeExceptionally(new MemberLost(why))) {
          failed++;
        }
      }
    }
    failedCount.add(failed);
    return failed;
  }

  /** Asks being tracked now. */
  int size() {
    return pending.size();
  }

  /** The watcher's timer message: sweep while the loss window is open. */
  private static final class Sweep implements ClusterEvent.ClusterDomainEvent {}

  /**
   * An actor that calls {@link #memberUnreachable}, {@link #memberReachable} and {@link
   * #memberRemoved} on this node's cluster events, and {@link #sweep} every {@link #SWEEP_INTERVAL}
   * while the loss window is open.
   */
  Behavior<ClusterEvent.ClusterDomainEvent> watcher() {
    return Behaviors.withTimers(timers -> watcher(timers));
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> watcher(
      TimerScheduler<ClusterEvent.ClusterDomainEvent> timers) {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.UnreachableMember.class));
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.ReachableMember.class));
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
          return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
              .onMessage(
                  ClusterEvent.UnreachableMember.class,
                  m -> {
                    String address = m.member().address().toString();
                    return lost(
                        ctx, timers, address, memberUnreachable(address), "became unreachable");
                  })
              .onMessage(
                  ClusterEvent.ReachableMember.class,
                  m -> {
                    memberReachable(m.member().address().toString());
                    return Behaviors.same();
                  })
              .onMessage(
                  ClusterEvent.MemberRemoved.class,
                  m -> {
                    String address = m.member().address().toString();
                    return lost(ctx, timers, address, memberRemoved(address), "was removed");
                  })
              .onMessage(
                  Sweep.class,
                  m -> {
                    int failed = sweep();
                    if (failed > 0) {
                      ctx.getLog()
                          .info(
                              "Failed {} remote asks pending over {} ms early (retryable): a"
                                  + " member was lost recently.",
                              failed,
                              minAgeNanos / 1_000_000);
                    }
                    if (!windowOpen()) {
                      timers.cancel("sweep");
                    }
                    return Behaviors.same();
                  })
              .build();
        });
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> lost(
      ActorContext<ClusterEvent.ClusterDomainEvent> ctx,
      TimerScheduler<ClusterEvent.ClusterDomainEvent> timers,
      String address,
      int failed,
      String what) {
    if (failed > 0) {
      ctx.getLog()
          .info(
              "member {} {}: failed {} pending remote asks early (retryable).",
              address,
              what,
              failed);
    }
    if (!timers.isTimerActive("sweep")) {
      timers.startTimerWithFixedDelay("sweep", new Sweep(), SWEEP_INTERVAL);
    }
    return Behaviors.same();
  }
}
