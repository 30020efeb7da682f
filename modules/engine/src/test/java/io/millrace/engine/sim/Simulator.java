package io.millrace.engine.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The deterministic core of the engine simulation: one thread, virtual time in milliseconds, an
 * event queue ordered by (time, insertion order) and one seeded {@link Random} from which every
 * choice of a run is drawn. The same seed therefore replays the same run exactly.
 *
 * <p>Every event may belong to an {@link Owner} (a simulated node incarnation): when the owner is
 * no longer alive (it crashed) its events are dropped, so a crash loses everything the node held in
 * memory, its timers and the replies it was waiting for. Events without an owner belong to the
 * storage services and survive crashes (a write in flight may still land).
 */
public final class Simulator {

  /** Something whose events are dropped once it is dead (a node incarnation). */
  public interface Owner {
    boolean alive();
  }

  private static final boolean PRINT = Boolean.getBoolean("millrace.sim.print");

  private record Event(long at, long order, Owner owner, Runnable action) {}

  private final long seed;
  private final Random random;
  private final PriorityQueue<Event> queue =
      new PriorityQueue<>(
          (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
  private final ArrayDeque<String> recentTrace = new ArrayDeque<>();
  private final int traceLines;
  private long now;
  private long order;
  private long steps;
  private long traceHash = 1125899906842597L;
  private Owner current;

  public Simulator(long seed, int traceLines) {
    this.seed = seed;
    this.random = new Random(mix(seed));
    this.traceLines = traceLines;
  }

  /**
   * SplitMix64's finalizer: neighbouring seeds give unrelated runs (java.util.Random alone does
   * not).
   */
  static long mix(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long seed() {
    return seed;
  }

  public Random random() {
    return random;
  }

  /** Virtual time now, in milliseconds since the start of the run. */
  public long now() {
    return now;
  }

  public long steps() {
    return steps;
  }

  /** The owner of the event running now (null for storage events and the driver). */
  public Owner currentOwner() {
    return current;
  }

  /** Runs {@code action} after {@code delayMillis} on behalf of {@code owner} (may be null). */
  public void schedule(long delayMillis, Owner owner, Runnable action) {
    if (delayMillis < 0) {
      throw new IllegalArgumentException("negative delay " + delayMillis);
    }
    queue.add(new Event(now + delayMillis, order++, owner, action));
  }

  /** Delivers {@code action} as a message to {@code owner}: now, after what is already queued. */
  public void post(Owner owner, Runnable action) {
    schedule(0, owner, action);
  }

  /** A random delay in [0, maxMillis]. */
  public long delay(long maxMillis) {
    return maxMillis <= 0 ? 0 : random.nextInt((int) maxMillis + 1);
  }

  /** True with probability {@code p}. */
  public boolean chance(double p) {
    return p > 0 && random.nextDouble() < p;
  }

  /**
   * Runs events until the queue is empty or the next one is after {@code until}; {@code afterEach}
   * runs after every event (the invariant checks). Returns whether events remain.
   */
  public boolean runUntil(long until, Runnable afterEach) {
    while (!queue.isEmpty() && queue.peek().at <= until) {
      Event e = queue.poll();
      now = e.at;
      if (e.owner != null && !e.owner.alive()) {
        continue;
      }
      steps++;
      Owner before = current;
      current = e.owner;
      try {
        e.action.run();
      } finally {
        current = before;
      }
      afterEach.run();
    }
    if (now < until && queue.isEmpty()) {
      now = until;
    }
    return !queue.isEmpty();
  }

  /** Records one line of the run: kept for the failure report and folded into the trace hash. */
  public void trace(String line) {
    String text = now + "ms " + line;
    traceHash = traceHash * 31 + text.hashCode();
    if (PRINT) {
      System.out.println(seed + " " + text);
    }
    recentTrace.addLast(text);
    if (recentTrace.size() > traceLines) {
      recentTrace.removeFirst();
    }
  }

  /** A hash of every traced line: two runs of one seed must end with the same value. */
  public long traceHash() {
    return traceHash;
  }

  /** The last traced lines. */
  public List<String> recentTrace() {
    return new ArrayList<>(recentTrace);
  }
}
