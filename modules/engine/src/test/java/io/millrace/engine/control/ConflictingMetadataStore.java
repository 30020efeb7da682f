package io.millrace.engine.control;

import io.millrace.metadata.MetadataStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delegates to a real store, but can make the next version-checked updates ({@code updateBasin},
 * {@code updateStream}) lose as if another writer always got there first.
 */
final class ConflictingMetadataStore implements AutoCloseable {
  private static final Set<String> VERSION_CHECKED_UPDATES = Set.of("updateBasin", "updateStream");

  private final MetadataStore delegate;
  private final MetadataStore store;
  private final AtomicInteger updatesToLose = new AtomicInteger();
  private final AtomicInteger lostUpdates = new AtomicInteger();

  ConflictingMetadataStore(MetadataStore delegate) {
    this.delegate = delegate;
    this.store =
        (MetadataStore)
            Proxy.newProxyInstance(
                MetadataStore.class.getClassLoader(),
                new Class<?>[] {MetadataStore.class},
                (proxy, method, args) -> invoke(method, args));
  }

  /** The store to hand to the code under test. */
  MetadataStore store() {
    return store;
  }

  void loseNextUpdates(int n) {
    updatesToLose.set(n);
  }

  int lostUpdates() {
    return lostUpdates.get();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private Object invoke(Method method, Object[] args) throws Throwable {
    if (VERSION_CHECKED_UPDATES.contains(method.getName()) && lose()) {
      return CompletableFuture.completedFuture(false);
    }
    try {
      return method.invoke(delegate, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private boolean lose() {
    if (updatesToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      lostUpdates.incrementAndGet();
      return true;
    }
    return false;
  }
}
