package io.millrace.core;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The one place that takes a failure out of the wrappers that futures put around it. */
public final class Failures {
  private Failures() {}

  /**
   * Returns the failure inside any {@link CompletionException} and {@link ExecutionException}
   * wrappers, or {@code t} itself when it is not wrapped.
   */
  public static Throwable unwrap(Throwable t) {
    Throwable cur = t;
    while ((cur instanceof CompletionException || cur instanceof ExecutionException)
        && cur.getCause() != null) {
      cur = cur.getCause();
    }
    return cur;
  }
}
