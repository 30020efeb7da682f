package io.millrace.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.millrace.metadata.MetadataStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MetadataStore} that times every asynchronous call into the histogram {@code
 * millrace_metadata_call_seconds{op, outcome}} ({@code op}: the port method, a bounded set; {@code
 * outcome}: {@code ok} or {@code error}). A dynamic proxy, so every port method, including ones
 * added later, is timed without code here.
 */
public final class TimedMetadataStore implements InvocationHandler {
  private final MetadataStore store;
  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  private TimedMetadataStore(MetadataStore store, MeterRegistry registry) {
    this.store = store;
    this.registry = registry;
  }

  /** {@code store} with every call timed in {@code registry}. */
  public static MetadataStore wrap(MetadataStore store, MeterRegistry registry) {
    return (MetadataStore)
        Proxy.newProxyInstance(
            MetadataStore.class.getClassLoader(),
            new Class<?>[] {MetadataStore.class},
            new TimedMetadataStore(store, registry));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "Timed(" + store + ")";
      };
    }
    long started = System.nanoTime();
    Object result;
    try {
      result = method.invoke(store, args);
    } catch (InvocationTargetException e) {
      timer(method.getName(), "error").record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      throw e.getCause();
    }
    if (result instanceof CompletionStage<?> stage) {
      return stage.whenComplete(
          (v, t) ->
              timer(method.getName(), t == null ? "ok" : "error")
                  .record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }
    return result;
  }

  private Timer timer(String op, String outcome) {
    return timers.computeIfAbsent(
        op + "/" + outcome,
        k ->
            Timer.builder("millrace.metadata.call")
                .description("Metadata store call latency, by port method and outcome.")
                .tag("op", op)
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofSeconds(30))
                .register(registry));
  }
}
