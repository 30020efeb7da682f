package io.millrace.engine.sim;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Wraps a storage port (the object store or the metadata store) so that every asynchronous call
 * runs on the {@link Simulator}'s virtual time, with faults drawn from the seed:
 *
 * <ul>
 *   <li>the call is <b>applied</b> to the real in-memory store after a random delay, as a storage
 *       event (it lands even if the caller crashes meanwhile);
 *   <li>its <b>reply</b> reaches the caller after a further random delay, as an event of the
 *       caller's node (lost if the node crashed);
 *   <li>with {@link Faults#failBefore()} the call fails without being applied; with {@link
 *       Faults#failAfter()} it is applied and then reported as failed (a timed-out write that did
 *       land: the ambiguous outcome).
 * </ul>
 *
 * Calls that do not return a {@link CompletionStage} go straight to the store.
 */
public final class FaultyPort implements InvocationHandler {

  /** Fault rates of one port; {@link #healed} ones inject nothing. */
  public static final class Faults {
    double failBefore;
    double failAfter;
    long maxDelayMillis;
    double slowChance;
    boolean healed;

    public Faults(double failBefore, double failAfter, long maxDelayMillis, double slowChance) {
      this.failBefore = failBefore;
      this.failAfter = failAfter;
      this.maxDelayMillis = maxDelayMillis;
      this.slowChance = slowChance;
    }

    public double failBefore() {
      return healed ? 0 : failBefore;
    }

    public double failAfter() {
      return healed ? 0 : failAfter;
    }

    /** From now on no failures are injected (delays stay). */
    public void heal() {
      healed = true;
    }

    @Override
    public String toString() {
      return String.format(
          "fail-before %.3f, fail-after %.3f, delay <= %d ms, slow %.2f",
          failBefore, failAfter, maxDelayMillis, slowChance);
    }
  }

  private final Simulator sim;
  private final Object delegate;
  private final String name;
  private final Faults faults;
  private final Function<String, RuntimeException> failure;
  private long calls;
  private long injected;

  private FaultyPort(
      Simulator sim,
      Object delegate,
      String name,
      Faults faults,
      Function<String, RuntimeException> failure) {
    this.sim = sim;
    this.delegate = delegate;
    this.name = name;
    this.faults = faults;
    this.failure = failure;
  }

  /** A proxy of {@code iface} over {@code delegate}; {@code failure} makes an injected error. */
  public static <T> T wrap(
      Class<T> iface,
      T delegate,
      Simulator sim,
      String name,
      Faults faults,
      Function<String, RuntimeException> failure,
      FaultyPort[] handle) {
    FaultyPort port = new FaultyPort(sim, delegate, name, faults, failure);
    if (handle != null) {
      handle[0] = port;
    }
    return iface.cast(Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, port));
  }

  public long calls() {
    return calls;
  }

  public long injected() {
    return injected;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "toString" -> "FaultyPort(" + name + ")";
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        default -> method.invoke(this, args);
      };
    }
    if (!CompletionStage.class.isAssignableFrom(method.getReturnType())) {
      return call(method, args);
    }
    calls++;
    CompletableFuture<Object> result = new CompletableFuture<>();
    Simulator.Owner caller = sim.currentOwner();
    boolean before = sim.chance(faults.failBefore());
    boolean after = !before && sim.chance(faults.failAfter());
    long max = faults.maxDelayMillis * (sim.chance(faults.slowChance) ? 20 : 1);
    long applyDelay = sim.delay(max);
    long replyDelay = sim.delay(max);
    String what = name + "." + method.getName() + describe(args);
    sim.schedule(
        applyDelay,
        null,
        () -> {
          Object value = null;
          Throwable error = null;
          if (before) {
            injected++;
            error = failure.apply("injected failure (not applied): " + what);
          } else {
            try {
              value = ((CompletionStage<?>) call(method, args)).toCompletableFuture().join();
            } catch (CompletionException e) {
              error = e.getCause();
            } catch (Throwable e) {
              error = e;
            }
            if (after && error == null) {
              injected++;
              error = failure.apply("injected failure (applied): " + what);
            }
          }
          Object v = value;
          Throwable err = error;
          sim.schedule(
              replyDelay,
              caller,
              () -> {
                if (err == null) {
                  result.complete(v);
                } else {
                  result.completeExceptionally(err);
                }
              });
        });
    return result;
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(delegate, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static String describe(Object[] args) {
    if (args == null || args.length == 0) {
      return "()";
    }
    Object first = args[0];
    return "(" + (first instanceof byte[] ? "bytes" : String.valueOf(first)) + ", ...)";
  }
}
