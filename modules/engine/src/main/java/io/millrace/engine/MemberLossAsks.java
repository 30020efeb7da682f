package io.millrace.engine;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
  private final long minAgeNanos;
  private final LongSupplier nanoTime;

  MemberLossAsks(Duration minAge, LongSupplier nanoTime) {
    this.minAgeNanos = minAge.toNanos();
    this.nanoTime = nanoTime;
  }

  /** The ask's outcome, which {@link #memberLost} may fail first. */
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

  /** Fails every tracked ask pending for at least the minimum age; returns how many. */
  int memberLost(String why) {
    long now = nanoTime.getAsLong();
    int failed = 0;
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      if (now - e.getValue().startedNanos() >= minAgeNanos && pending.remove(e.getKey()) != null) {
        if (e.getValue().result().completeExceptionally(new MemberLost(why))) {
          failed++;
        }
      }
    }
    return failed;
  }

  /** Asks being tracked now. */
  int size() {
    return pending.size();
  }

  /**
   * An actor that calls {@link #memberLost} on every {@code UnreachableMember} and {@code
   * MemberRemoved} event of this node's cluster.
   */
  Behavior<ClusterEvent.ClusterDomainEvent> watcher() {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.UnreachableMember.class));
          cluster
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
          return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
              .onMessage(
                  ClusterEvent.UnreachableMember.class,
                  m -> lost(ctx, "member " + m.member().address() + " became unreachable"))
              .onMessage(
                  ClusterEvent.MemberRemoved.class,
                  m -> lost(ctx, "member " + m.member().address() + " was removed"))
              .build();
        });
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> lost(
      org.apache.pekko.actor.typed.javadsl.ActorContext<ClusterEvent.ClusterDomainEvent> ctx,
      String why) {
    int failed = memberLost(why);
    if (failed > 0) {
      ctx.getLog().info("{}: failed {} pending remote asks early (retryable).", why, failed);
    }
    return Behaviors.same();
  }
}
