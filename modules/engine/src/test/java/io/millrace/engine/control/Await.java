package io.millrace.engine.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Test helpers: wait for a stage, or for the S2 failure it ends with. */
final class Await {
  private Await() {}

  static <T> T result(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success but failed with " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static S2Exception failure(CompletionStage<?> stage) {
    try {
      Object value = stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
      return fail("expected a failure but got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(S2Exception.class);
      return (S2Exception) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static ErrorCode code(CompletionStage<?> stage) {
    return failure(stage).code();
  }
}
