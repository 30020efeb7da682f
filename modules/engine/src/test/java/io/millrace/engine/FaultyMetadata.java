package io.millrace.engine;

import io.millrace.metadata.MetadataStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A {@link MetadataStore} in front of a real one whose calls can be rewritten per method name: a
 * rule gets the real call's result (or may ignore it) and returns what the caller sees.
 */
public final class FaultyMetadata {
  private final MetadataStore real;
  private final Map<String, Function<Invocation, Object>> rules = new ConcurrentHashMap<>();
  public final MetadataStore store;

  /** One intercepted call: its arguments, and a way to run it against the real store. */
  public record Invocation(Object[] args, java.util.function.Supplier<Object> proceed) {}

  public FaultyMetadata(MetadataStore real) {
    this.real = real;
    this.store =
        (MetadataStore)
            Proxy.newProxyInstance(
                MetadataStore.class.getClassLoader(),
                new Class<?>[] {MetadataStore.class},
                (proxy, method, args) -> {
                  java.util.function.Supplier<Object> proceed =
                      () -> {
                        try {
                          return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                          throw new RuntimeException(e.getCause());
                        } catch (IllegalAccessException e) {
                          throw new RuntimeException(e);
                        }
                      };
                  Function<Invocation, Object> rule = rules.get(method.getName());
                  return rule == null ? proceed.get() : rule.apply(new Invocation(args, proceed));
                });
  }

  /** Rewrites every later call of {@code method}. */
  public void on(String method, Function<Invocation, Object> rule) {
    rules.put(method, rule);
  }

  /** Every later call of {@code method} fails without reaching the real store. */
  void fail(String method, RuntimeException error) {
    on(method, inv -> CompletableFuture.failedFuture(error));
  }

  void clear(String method) {
    rules.remove(method);
  }
}
