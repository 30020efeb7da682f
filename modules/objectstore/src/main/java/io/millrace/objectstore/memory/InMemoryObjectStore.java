package io.millrace.objectstore.memory;

import io.millrace.core.KeyOrder;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A thread-safe, in-memory {@link ObjectStore} for tests and simulations, with first-class fault
 * injection. It keeps the port's semantics exactly: puts are create-only (a second put of a key
 * fails with {@link ObjectAlreadyExistsException} and keeps the first content), reads of a missing
 * key are empty, {@link #list} returns keys in UTF-8 byte order ({@link KeyOrder}), deleting a
 * missing key succeeds. Stored and returned byte arrays are copies.
 *
 * <h2>Completion</h2>
 *
 * Without faults every call completes before it returns (an already completed stage). The caller is
 * never blocked: a delayed call completes later on the store's own scheduler thread, a call held by
 * a {@link Gate} completes on the thread that opens the gate.
 *
 * <h2>Fault injection</h2>
 *
 * Faults are applied in this order: injected failure, then gate, then delay, then the operation.
 *
 * <ul>
 *   <li>{@link #failPuts(Predicate, int, Supplier)}: the next {@code times} puts of matching keys
 *       fail with the supplied exception and store nothing.
 *   <li>{@link #failPutsAfterWrite(Predicate, int, Supplier)}: the next {@code times} puts of
 *       matching keys store the object but then report the supplied exception (the ambiguous
 *       outcome of a timed-out request that did land).
 *   <li>{@link #delayPuts(Duration)}: every put is applied and completed after the delay, on the
 *       scheduler thread; a put becomes visible only when it completes.
 *   <li>{@link #blockPuts(Predicate)}: puts of matching keys are held, invisible and incomplete,
 *       until the returned {@link Gate} is {@linkplain Gate#open() opened} (then they are applied
 *       in arrival order) or {@linkplain Gate#failHeld(Supplier) failed}. This lets a test make
 *       chunk 2 durable before chunk 1.
 *   <li>{@link #failGets}, {@link #delayGets}, {@link #blockGets}: the same for {@link #get} and
 *       {@link #getRange} (a held get reads the store when released).
 *   <li>{@link #failLists(int, Supplier)}, {@link #failDeletes(Predicate, int, Supplier)}.
 *   <li>{@link #clearFaults()} removes every rule and delay and opens every gate.
 * </ul>
 *
 * Failure rules return a {@link Fault} handle to inspect or cancel them; pass {@link
 * Integer#MAX_VALUE} as {@code times} for "until cancelled".
 *
 * <h2>Inspection</h2>
 *
 * {@link #putCount()}, {@link #getCount()}, {@link #listCount()}, {@link #deleteCount()} count
 * calls received (including failed ones); {@link #keys()} and {@link #peek(String)} read the
 * current content without counting or faults; {@link #seed(String, byte[])} stores an object
 * directly.
 */
public final class InMemoryObjectStore implements ObjectStore {

  private final ConcurrentSkipListMap<String, byte[]> objects =
      new ConcurrentSkipListMap<>(KeyOrder.UTF8);

  private final List<Fault> putFailures = new CopyOnWriteArrayList<>();
  private final List<Fault> putAfterWriteFailures = new CopyOnWriteArrayList<>();
  private final List<Fault> getFailures = new CopyOnWriteArrayList<>();
  private final List<Fault> listFailures = new CopyOnWriteArrayList<>();
  private final List<Fault> deleteFailures = new CopyOnWriteArrayList<>();
  private final List<Gate> putGates = new CopyOnWriteArrayList<>();
  private final List<Gate> getGates = new CopyOnWriteArrayList<>();
  private volatile Duration putDelay = Duration.ZERO;
  private volatile Duration getDelay = Duration.ZERO;

  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong gets = new AtomicLong();
  private final AtomicLong lists = new AtomicLong();
  private final AtomicLong deletes = new AtomicLong();

  private final Object schedulerLock = new Object();
  private ScheduledExecutorService scheduler;
  private volatile boolean closed;

  /** An empty store without faults. */
  public InMemoryObjectStore() {}

  // ---------------------------------------------------------------- port

  @Override
  public CompletionStage<Void> putIfAbsent(String key, byte[] data) {
    requireKey(key);
    Objects.requireNonNull(data, "data");
    puts.incrementAndGet();
    byte[] copy = data.clone();
    CompletableFuture<Void> result = new CompletableFuture<>();
    if (rejectIfClosedOrFailed(putFailures, key, result)) {
      return result;
    }
    Runnable op =
        () -> {
          try {
            if (objects.putIfAbsent(key, copy) != null) {
              throw new ObjectAlreadyExistsException(key);
            }
            RuntimeException after = consume(putAfterWriteFailures, key);
            if (after != null) {
              throw after;
            }
            result.complete(null);
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        };
    if (!hold(putGates, key, op, result::completeExceptionally)) {
      runAfter(putDelay, op, result);
    }
    return result;
  }

  @Override
  public CompletionStage<Optional<byte[]>> get(String key) {
    requireKey(key);
    return read(key, bytes -> bytes.clone());
  }

  @Override
  public CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length) {
    requireKey(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: " + offset + ", " + length);
    }
    return read(
        key,
        bytes -> {
          int from = (int) Math.min(offset, bytes.length);
          int to = (int) Math.min((long) from + length, bytes.length);
          return Arrays.copyOfRange(bytes, from, to);
        });
  }

  private CompletionStage<Optional<byte[]>> read(
      String key, java.util.function.Function<byte[], byte[]> slice) {
    gets.incrementAndGet();
    CompletableFuture<Optional<byte[]>> result = new CompletableFuture<>();
    if (rejectIfClosedOrFailed(getFailures, key, result)) {
      return result;
    }
    Runnable op = () -> result.complete(Optional.ofNullable(objects.get(key)).map(slice));
    if (!hold(getGates, key, op, result::completeExceptionally)) {
      runAfter(getDelay, op, result);
    }
    return result;
  }

  @Override
  public CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    lists.incrementAndGet();
    String p = prefix == null ? "" : prefix;
    CompletableFuture<List<ObjectInfo>> result = new CompletableFuture<>();
    if (rejectIfClosedOrFailed(listFailures, p, result)) {
      return result;
    }
    NavigableMap<String, byte[]> tail =
        startAfter != null && !startAfter.isEmpty() && KeyOrder.compare(startAfter, p) >= 0
            ? objects.tailMap(startAfter, false)
            : objects.tailMap(p, true);
    List<ObjectInfo> out = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : tail.entrySet()) {
      if (out.size() >= limit || !e.getKey().startsWith(p)) {
        break;
      }
      out.add(new ObjectInfo(e.getKey(), e.getValue().length));
    }
    result.complete(List.copyOf(out));
    return result;
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    requireKey(key);
    deletes.incrementAndGet();
    CompletableFuture<Void> result = new CompletableFuture<>();
    if (rejectIfClosedOrFailed(deleteFailures, key, result)) {
      return result;
    }
    objects.remove(key);
    result.complete(null);
    return result;
  }

  /**
   * Marks the store closed: later calls fail with {@link ObjectStoreException}, held calls fail,
   * delayed calls still complete.
   */
  @Override
  public void close() {
    closed = true;
    for (Gate g : putGates) {
      g.failHeld(() -> new ObjectStoreException("in-memory object store closed"));
    }
    for (Gate g : getGates) {
      g.failHeld(() -> new ObjectStoreException("in-memory object store closed"));
    }
    synchronized (schedulerLock) {
      if (scheduler != null) {
        scheduler.shutdown();
      }
    }
  }

  // ---------------------------------------------------------------- fault injection

  /**
   * The next {@code times} puts whose key matches fail with an exception from {@code failure}; the
   * object is not stored.
   */
  public Fault failPuts(
      Predicate<String> keyMatcher, int times, Supplier<? extends RuntimeException> failure) {
    return addFault(putFailures, keyMatcher, times, failure);
  }

  /**
   * The next {@code times} successful puts whose key matches store the object, then fail with an
   * exception from {@code failure} (the write landed but the caller cannot know).
   */
  public Fault failPutsAfterWrite(
      Predicate<String> keyMatcher, int times, Supplier<? extends RuntimeException> failure) {
    return addFault(putAfterWriteFailures, keyMatcher, times, failure);
  }

  /**
   * Every later put is applied and completed {@code delay} after the call, on the scheduler thread
   * (never blocking the caller). {@link Duration#ZERO} turns the delay off.
   */
  public void delayPuts(Duration delay) {
    putDelay = requireDelay(delay);
  }

  /**
   * Holds puts of matching keys (not stored, not completed) until the returned gate is opened or
   * its held puts are failed. Puts arriving after {@link Gate#open()} pass through.
   */
  public Gate blockPuts(Predicate<String> keyMatcher) {
    return addGate(putGates, keyMatcher);
  }

  /** The next {@code times} gets or ranged gets whose key matches fail with {@code failure}. */
  public Fault failGets(
      Predicate<String> keyMatcher, int times, Supplier<? extends RuntimeException> failure) {
    return addFault(getFailures, keyMatcher, times, failure);
  }

  /** Every later get or ranged get completes {@code delay} after the call, on the scheduler. */
  public void delayGets(Duration delay) {
    getDelay = requireDelay(delay);
  }

  /** Holds gets and ranged gets of matching keys until the returned gate opens. */
  public Gate blockGets(Predicate<String> keyMatcher) {
    return addGate(getGates, keyMatcher);
  }

  /** The next {@code times} list calls fail with {@code failure}. */
  public Fault failLists(int times, Supplier<? extends RuntimeException> failure) {
    return addFault(listFailures, prefix -> true, times, failure);
  }

  /**
   * The next {@code times} deletes whose key matches fail with {@code failure}; nothing deleted.
   */
  public Fault failDeletes(
      Predicate<String> keyMatcher, int times, Supplier<? extends RuntimeException> failure) {
    return addFault(deleteFailures, keyMatcher, times, failure);
  }

  /** Removes every failure rule and delay and opens every gate (releasing what they hold). */
  public void clearFaults() {
    for (List<Fault> l :
        List.of(putFailures, putAfterWriteFailures, getFailures, listFailures, deleteFailures)) {
      l.forEach(Fault::cancel);
      l.clear();
    }
    putDelay = Duration.ZERO;
    getDelay = Duration.ZERO;
    for (Gate g : List.copyOf(putGates)) {
      g.open();
    }
    for (Gate g : List.copyOf(getGates)) {
      g.open();
    }
  }

  // ---------------------------------------------------------------- inspection

  /** Number of {@link #putIfAbsent} calls received, including failed and conflicting ones. */
  public long putCount() {
    return puts.get();
  }

  /** Number of {@link #get} and {@link #getRange} calls received. */
  public long getCount() {
    return gets.get();
  }

  /** Number of {@link #list} calls received. */
  public long listCount() {
    return lists.get();
  }

  /** Number of {@link #delete} calls received. */
  public long deleteCount() {
    return deletes.get();
  }

  /** The keys currently stored, in list order. */
  public List<String> keys() {
    return List.copyOf(objects.keySet());
  }

  /** A copy of the object's content, bypassing faults and counters. */
  public Optional<byte[]> peek(String key) {
    return Optional.ofNullable(objects.get(key)).map(byte[]::clone);
  }

  /**
   * Stores an object directly, bypassing faults and counters (create-only all the same).
   *
   * @throws ObjectAlreadyExistsException if the key exists
   */
  public void seed(String key, byte[] data) {
    requireKey(key);
    if (objects.putIfAbsent(key, data.clone()) != null) {
      throw new ObjectAlreadyExistsException(key);
    }
  }

  // ---------------------------------------------------------------- handles

  /** A failure rule: fails up to a number of matching calls. */
  public static final class Fault {
    private final Predicate<String> matcher;
    private final Supplier<? extends RuntimeException> failure;
    private int remaining;
    private int triggered;

    private Fault(
        Predicate<String> matcher, int times, Supplier<? extends RuntimeException> failure) {
      this.matcher = matcher;
      this.remaining = times;
      this.failure = failure;
    }

    private synchronized RuntimeException tryTrigger(String key) {
      if (remaining <= 0 || !matcher.test(key)) {
        return null;
      }
      if (remaining != Integer.MAX_VALUE) {
        remaining--;
      }
      triggered++;
      return failure.get();
    }

    /** How many more calls this rule will fail. */
    public synchronized int remaining() {
      return remaining;
    }

    /** How many calls this rule has failed so far. */
    public synchronized int triggered() {
      return triggered;
    }

    /** Stops this rule from failing further calls. */
    public synchronized void cancel() {
      remaining = 0;
    }
  }

  /**
   * Holds matching calls until {@link #open()}. Once opened, the gate stays open and is removed
   * from the store.
   */
  public final class Gate {
    private final Predicate<String> matcher;
    private final List<Held> held = new ArrayList<>();
    private final List<Gate> owner;
    private boolean opened;

    private Gate(Predicate<String> matcher, List<Gate> owner) {
      this.matcher = matcher;
      this.owner = owner;
    }

    private synchronized boolean tryHold(String key, Runnable op, Consumer<Throwable> fail) {
      if (opened || !matcher.test(key)) {
        return false;
      }
      held.add(new Held(key, op, fail));
      return true;
    }

    /**
     * Opens the gate: the held calls are applied in arrival order on the calling thread (when this
     * returns, released puts are stored and their stages complete), and later calls pass through.
     */
    public void open() {
      List<Held> release;
      synchronized (this) {
        opened = true;
        release = List.copyOf(held);
        held.clear();
      }
      owner.remove(this);
      release.forEach(h -> h.op().run());
    }

    /**
     * Fails every call currently held with an exception from {@code failure} (puts store nothing);
     * the gate stays closed for later calls.
     */
    public void failHeld(Supplier<? extends RuntimeException> failure) {
      List<Held> release;
      synchronized (this) {
        release = List.copyOf(held);
        held.clear();
      }
      release.forEach(h -> h.fail().accept(failure.get()));
    }

    /** Number of calls currently held. */
    public synchronized int heldCount() {
      return held.size();
    }

    /** Keys of the calls currently held, in arrival order. */
    public synchronized List<String> heldKeys() {
      return held.stream().map(Held::key).toList();
    }

    /** True once {@link #open()} was called. */
    public synchronized boolean isOpen() {
      return opened;
    }
  }

  private record Held(String key, Runnable op, Consumer<Throwable> fail) {}

  // ---------------------------------------------------------------- internals

  private static void requireKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("object key must not be empty");
    }
  }

  private static Duration requireDelay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    return delay;
  }

  private Fault addFault(
      List<Fault> rules,
      Predicate<String> matcher,
      int times,
      Supplier<? extends RuntimeException> failure) {
    Objects.requireNonNull(matcher, "keyMatcher");
    Objects.requireNonNull(failure, "failure");
    if (times <= 0) {
      throw new IllegalArgumentException("times must be positive: " + times);
    }
    Fault f = new Fault(matcher, times, failure);
    rules.add(f);
    return f;
  }

  private Gate addGate(List<Gate> gates, Predicate<String> matcher) {
    Objects.requireNonNull(matcher, "keyMatcher");
    Gate g = new Gate(matcher, gates);
    gates.add(g);
    return g;
  }

  private static RuntimeException consume(List<Fault> rules, String key) {
    for (Fault f : rules) {
      RuntimeException e = f.tryTrigger(key);
      if (e != null) {
        return e;
      }
    }
    return null;
  }

  private boolean rejectIfClosedOrFailed(
      List<Fault> rules, String key, CompletableFuture<?> result) {
    if (closed) {
      result.completeExceptionally(new ObjectStoreException("in-memory object store closed"));
      return true;
    }
    RuntimeException injected = consume(rules, key);
    if (injected != null) {
      result.completeExceptionally(injected);
      return true;
    }
    return false;
  }

  private static boolean hold(List<Gate> gates, String key, Runnable op, Consumer<Throwable> fail) {
    for (Gate g : gates) {
      if (g.tryHold(key, op, fail)) {
        return true;
      }
    }
    return false;
  }

  private void runAfter(Duration delay, Runnable op, CompletableFuture<?> result) {
    if (delay.isZero()) {
      op.run();
      return;
    }
    try {
      scheduler().schedule(op, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      result.completeExceptionally(new ObjectStoreException("in-memory object store closed", e));
    }
  }

  private ScheduledExecutorService scheduler() {
    synchronized (schedulerLock) {
      if (scheduler == null) {
        scheduler =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "in-memory-object-store-delays");
                  t.setDaemon(true);
                  return t;
                });
      }
      return scheduler;
    }
  }
}
