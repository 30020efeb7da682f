package io.millrace.engine.control;

import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.metadata.MetadataStoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The S2 errors of the control plane, and the one wrapper that turns every failure into one. */
final class ControlErrors {
  private ControlErrors() {}

  /** Runs {@code body}, turning synchronous throws and store failures into S2 failures. */
  static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
          } else {
            result.completeExceptionally(toS2(error));
          }
        });
    return result;
  }

  /** A metadata store failure is a retryable {@code storage} error; the rest map as they are. */
  static S2Exception toS2(Throwable error) {
    Throwable cur = Failures.unwrap(error);
    if (cur instanceof MetadataStoreException) {
      return new S2Exception(
          ErrorCode.STORAGE, "the metadata store failed: " + cur.getMessage(), cur);
    }
    return S2Exception.from(cur);
  }

  /** Fails with {@code invalid} when a validation found a problem. */
  static void requireValid(String problem) {
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
  }

  static S2Exception basinNotFound(String basin) {
    return new S2Exception(ErrorCode.BASIN_NOT_FOUND, "basin " + basin + " does not exist");
  }

  static S2Exception basinDeletionPending(String basin) {
    return new S2Exception(
        ErrorCode.BASIN_DELETION_PENDING, "basin " + basin + " is being deleted");
  }

  static S2Exception streamNotFound(String basin, String stream) {
    return new S2Exception(
        ErrorCode.STREAM_NOT_FOUND, "stream " + stream + " does not exist in basin " + basin);
  }

  static S2Exception streamDeletionPending(String basin, String stream) {
    return new S2Exception(
        ErrorCode.STREAM_DELETION_PENDING,
        "stream " + stream + " in basin " + basin + " is being deleted");
  }
}
