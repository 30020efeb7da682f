package io.millrace.engine.wal;

import io.millrace.core.config.StorageClass;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One per node: keeps {@code channels.per-storage-class} {@link Channel}s running for each storage
 * class, replaces a channel incarnation that died with a new one (new channel id), and assigns
 * streams to channels by power of two choices over channel load.
 */
public final class ChannelSupervisor {
  private ChannelSupervisor() {}

  /** Messages of the supervisor. */
  public sealed interface Command {}

  /** Assigns a channel of {@code storageClass} to a stream; the channel answers {@code replyTo}. */
  public record Acquire(
      String streamId, StorageClass storageClass, ActorRef<Channel.Registered> replyTo)
      implements Command {}

  /** Stops every channel and the supervisor. */
  public record Stop() implements Command {}

  private record ChannelTerminated(StorageClass storageClass, int slot, ActorRef<?> ref)
      implements Command {}

  private record Restart(StorageClass storageClass, int slot) implements Command {}

  private record Slot(ActorRef<Channel.Command> ref, ChannelLoad load) {}

  public static Behavior<Command> create(
      String node,
      ObjectStore objects,
      MetadataStore metadata,
      EngineSettings settings,
      EngineMetrics metrics,
      Clock clock,
      Consumer<StorageClass> onChannelStarted) {
    ChannelDeps deps = new ChannelDeps(node, objects, metadata, settings, metrics, clock);
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new Instance(ctx, timers, deps, onChannelStarted).running()));
  }

  private static final class Instance {
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final ChannelDeps deps;
    private final Consumer<StorageClass> onChannelStarted;
    private final Map<StorageClass, Slot[]> slots = new EnumMap<>(StorageClass.class);
    private long incarnations;
    private final List<Acquire> waiting = new ArrayList<>();
    private final Map<String, long[]> deaths = new HashMap<>();

    Instance(
        ActorContext<Command> ctx,
        TimerScheduler<Command> timers,
        ChannelDeps deps,
        Consumer<StorageClass> onChannelStarted) {
      this.ctx = ctx;
      this.timers = timers;
      this.deps = deps;
      this.onChannelStarted = onChannelStarted;
      for (StorageClass sc : StorageClass.values()) {
        Slot[] s = new Slot[deps.settings().channelsFor(sc)];
        slots.put(sc, s);
        for (int i = 0; i < s.length; i++) {
          spawn(sc, i);
        }
      }
    }

    private void spawn(StorageClass sc, int slot) {
      ChannelLoad load = new ChannelLoad();
      ActorRef<Channel.Command> ref =
          ctx.spawn(
              Channel.create(sc, deps, load, onChannelStarted),
              "channel-" + sc.wire() + "-" + slot + "-" + (incarnations++));
      ctx.watchWith(ref, new ChannelTerminated(sc, slot, ref));
      slots.get(sc)[slot] = new Slot(ref, load);
    }

    Behavior<Command> running() {
      return Behaviors.receive(Command.class)
          .onMessage(Acquire.class, this::onAcquire)
          .onMessage(ChannelTerminated.class, this::onTerminated)
          .onMessage(Restart.class, this::onRestart)
          .onMessage(Stop.class, m -> Behaviors.stopped())
          .build();
    }

    private Behavior<Command> onAcquire(Acquire m) {
      List<Slot> live = new ArrayList<>();
      for (Slot s : slots.get(m.storageClass())) {
        if (s != null && !s.load().isDead()) {
          live.add(s);
        }
      }
      if (live.isEmpty()) {
        ctx.getLog()
            .info(
                "No live {} channel for stream {} yet; it waits for the next incarnation.",
                m.storageClass(),
                m.streamId());
        waiting.add(m);
        return Behaviors.same();
      }
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      Slot a = live.get(rnd.nextInt(live.size()));
      Slot b = live.get(rnd.nextInt(live.size()));
      Slot pick = a.load().score() <= b.load().score() ? a : b;
      pick.ref().tell(new Channel.Register(m.streamId(), m.replyTo()));
      return Behaviors.same();
    }

    private Behavior<Command> onTerminated(ChannelTerminated m) {
      Slot current = slots.get(m.storageClass())[m.slot()];
      if (current != null && current.ref().equals(m.ref())) {
        slots.get(m.storageClass())[m.slot()] = null;
        ctx.getLog()
            .info(
                "A {} channel in slot {} stopped; starting a new incarnation.",
                m.storageClass(),
                m.slot());
        long now = System.nanoTime();
        String slotKey = m.storageClass() + "-" + m.slot();
        long[] hist = deaths.computeIfAbsent(slotKey, k -> new long[] {0, 0});
        // Consecutive deaths within 10 s back off exponentially, up to 5 s.
        hist[0] = now - hist[1] < 10_000_000_000L ? Math.min(hist[0] + 1, 8) : 0;
        hist[1] = now;
        Duration delay = Duration.ofMillis(Math.min(5_000, 20L << hist[0]));
        timers.startSingleTimer(new Restart(m.storageClass(), m.slot()), delay);
      }
      return Behaviors.same();
    }

    private Behavior<Command> onRestart(Restart m) {
      if (slots.get(m.storageClass())[m.slot()] == null) {
        spawn(m.storageClass(), m.slot());
      }
      List<Acquire> retry = new ArrayList<>(waiting);
      waiting.clear();
      retry.forEach(this::onAcquire);
      return Behaviors.same();
    }
  }
}
