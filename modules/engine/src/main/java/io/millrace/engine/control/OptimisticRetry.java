package io.millrace.engine.control;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Version-checked updates: an attempt reads fresh rows and writes conditionally on their version;
 * one that loses a race completes empty and is run again, up to {@link #MAX_ATTEMPTS} attempts,
 * after which the operation fails with 409 {@code transaction_conflict} (which clients retry).
 */
final class OptimisticRetry {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  /** Attempts of a version-checked update before answering {@code transaction_conflict}. */
  static final int MAX_ATTEMPTS = 8;

  private OptimisticRetry() {}

  /** Runs {@code attempt} until it completes with a value; {@code what} names it in errors. */
  static <T> CompletionStage<T> retrying(
      String what, Supplier<CompletionStage<Optional<T>>> attempt) {
    return retrying(what, attempt, 1);
  }

  private static <T> CompletionStage<T> retrying(
      String what, Supplier<CompletionStage<Optional<T>>> attempt, int attemptNo) {
    return attempt
        .get()
        .thenCompose(
            result -> {
              if (result.isPresent()) {
                return CompletableFuture.completedFuture(result.get());
              }
              if (attemptNo >= MAX_ATTEMPTS) {
                log.warn("Gave up on {} after losing {} concurrent updates.", what, attemptNo);
                return CompletableFuture.failedFuture(
                    new S2Exception(
                        ErrorCode.TRANSACTION_CONFLICT,
                        "could not " + what + ": it kept changing concurrently; retry"));
              }
              return retrying(what, attempt, attemptNo + 1);
            });
  }
}
