package io.millrace.engine.lifecycle;

import io.millrace.engine.DataPlane;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.control.ControlPlane;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link LifecycleSweep} of the whole cluster on one node at a time: a Cluster Singleton
 * (on one node, in the same process). One sweep at a time; the next starts {@code sweep-interval}
 * after the previous one ended, so sweeps never overlap and never run on the append path (they use
 * the stores asynchronously, one request at a time). When the singleton moves (its node leaves or
 * fails), the new node starts afresh; every step of a sweep is idempotent and the metadata writes
 * it makes are conditional (segment and channel deletes by key, the monotonic GC watermark,
 * version-checked stream deletion), so a sweep cut off half-way is finished by the next one.
 */
public final class LifecycleSweeper {
  private static final Logger log = LoggerFactory.getLogger(LifecycleSweeper.class);

  /** The singleton's name. */
  public static final String NAME = "millrace-lifecycle-sweeper";

  /** The sweeper's protocol. */
  public sealed interface Command {}

  /** Stops the sweeper (the singleton's hand-over message). */
  public record Stop() implements Command {}

  private record Tick() implements Command {}

  private record SweepDone(LifecycleSweep.Summary summary, Throwable error) implements Command {}

  private LifecycleSweeper() {}

  /**
   * Starts the sweeper as a Cluster Singleton of {@code system}, with this node's stores and {@code
   * sweep} as the sweep it runs (every node passes its own; the one on the singleton's node runs).
   */
  public static ActorRef<Command> startSingleton(
      ActorSystem<?> system,
      Supplier<LifecycleSweep> sweep,
      LifecycleSettings settings,
      EngineMetrics metrics) {
    return ClusterSingleton.get(system)
        .init(
            SingletonActor.of(create(sweep, settings, metrics), NAME).withStopMessage(new Stop()));
  }

  /**
   * Starts the sweeper singleton for a node running {@code data} and {@code control} over {@code
   * objects} and {@code metadata}, unless {@code millrace.engine.lifecycle.enabled} is off; returns
   * whether it started.
   */
  public static boolean startFor(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      DataPlane data,
      ControlPlane control,
      Clock clock,
      LifecycleSettings settings) {
    if (!settings.enabled()) {
      log.info("Lifecycle sweeps are off (millrace.engine.lifecycle.enabled).");
      return false;
    }
    Cluster cluster = Cluster.get(system);
    Supplier<Set<String>> members =
        () -> {
          Set<String> addresses = new HashSet<>();
          for (Member m : cluster.state().getMembers()) {
            addresses.add(m.address().toString());
          }
          return addresses;
        };
    startSingleton(
        system,
        () ->
            sweep(
                objects,
                metadata,
                clock,
                data::tailOf,
                control::deleteIfUnchanged,
                liveness(data.node(), data.startedAt(), members),
                data.metrics(),
                settings),
        settings,
        data.metrics());
    return true;
  }

  /** The sweeper's behaviour: a sweep every {@code sweep-interval}, one at a time. */
  public static Behavior<Command> create(
      Supplier<LifecycleSweep> sweep, LifecycleSettings settings, EngineMetrics metrics) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  LifecycleSweep s = sweep.get();
                  timers.startSingleTimer(new Tick(), settings.sweepInterval());
                  log.info(
                      "Lifecycle sweeper runs on this node, every {}.", settings.sweepInterval());
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Tick.class,
                          m -> {
                            ctx.pipeToSelf(s.run(), SweepDone::new);
                            return Behaviors.same();
                          })
                      .onMessage(
                          SweepDone.class,
                          m -> {
                            if (m.error() != null) {
                              metrics.lifecycleSweepFailures.increment();
                              log.warn(
                                  "Lifecycle sweep failed; the next one retries: {}",
                                  m.error().toString());
                            }
                            timers.startSingleTimer(new Tick(), settings.sweepInterval());
                            return Behaviors.same();
                          })
                      .onMessage(Stop.class, m -> Behaviors.stopped())
                      .build();
                }));
  }

  /**
   * The liveness rule of channel incarnations for the chunk GC: a channel is dead when it belongs
   * to this node and started before this node's data plane ({@code startedAt}: an earlier process),
   * or when its node is not a member of the cluster ({@code members}, addresses as in channel
   * rows). A channel of another live member is never judged dead (its WAL is collected, its row is
   * kept).
   */
  public static ChunkCollector.Liveness liveness(
      String node, Instant startedAt, Supplier<Set<String>> members) {
    return (ChannelRecord ch) ->
        (node.equals(ch.node()) && ch.startedAt().isBefore(startedAt))
            || !members.get().contains(ch.node());
  }

  /** The sweep of one node's stores (see {@link LifecycleSweep}). */
  public static LifecycleSweep sweep(
      ObjectStore objects,
      MetadataStore metadata,
      Clock clock,
      StreamSweep.Tails tails,
      StreamSweep.EmptyStreamDeleter deleter,
      ChunkCollector.Liveness liveness,
      EngineMetrics metrics,
      LifecycleSettings settings) {
    return new LifecycleSweep(
        metadata,
        new StreamSweep(objects, metadata, clock, tails, deleter, metrics),
        new ChunkCollector(objects, metadata, liveness, metrics, settings.walDeleteConcurrency()),
        tails,
        clock,
        metrics,
        settings);
  }
}
