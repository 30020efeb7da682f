package io.millrace.engine.control;

import io.millrace.engine.StreamDataEraser;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stream data eraser that records the stream ids it was asked to erase, and can be told to fail
 * its next calls (as if the node crashed half way).
 */
final class FakeEraser implements StreamDataEraser {
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<String> erased = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();

  @Override
  public CompletionStage<Void> erase(String streamId) {
    calls.add(streamId);
    if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("injected erase failure for stream id " + streamId));
    }
    if (!erased.contains(streamId)) {
      erased.add(streamId);
    }
    return CompletableFuture.completedFuture(null);
  }

  void failNext(int n) {
    failuresLeft.set(n);
  }

  /** Every erase call, including failed and repeated ones. */
  List<String> calls() {
    return List.copyOf(calls);
  }

  /** Stream ids erased successfully, in order, each once. */
  List<String> erased() {
    return List.copyOf(erased);
  }
}
