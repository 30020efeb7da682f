package io.millrace.engine.control;

import io.millrace.engine.FaultyMetadata;
import io.millrace.metadata.MetadataStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delegates to a real store, but can make the next version-checked updates ({@code updateBasin},
 * {@code updateStream}) lose as if another writer always got there first.
 */
final class ConflictingMetadataStore implements AutoCloseable {
  private final MetadataStore delegate;
  private final FaultyMetadata faulty;
  private final AtomicInteger updatesToLose = new AtomicInteger();
  private final AtomicInteger lostUpdates = new AtomicInteger();

  ConflictingMetadataStore(MetadataStore delegate) {
    this.delegate = delegate;
    this.faulty = new FaultyMetadata(delegate);
    for (String update : new String[] {"updateBasin", "updateStream"}) {
      faulty.on(
          update, inv -> lose() ? CompletableFuture.completedFuture(false) : inv.proceed().get());
    }
  }

  /** The store to hand to the code under test. */
  MetadataStore store() {
    return faulty.store;
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

  private boolean lose() {
    if (updatesToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      lostUpdates.incrementAndGet();
      return true;
    }
    return false;
  }
}
