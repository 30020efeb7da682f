package io.millrace.testsupport;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Waiting for the asynchronous answers of a store in a test. */
public final class Stages {
  private Stages() {}

  /**
   * The value {@code stage} completes with; throws what it fails with (in a CompletionException).
   */
  public static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** What {@code stage} fails with; an AssertionError if it completes normally. */
  public static Throwable failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
