package io.millrace.core.api;

import io.millrace.core.record.AppendInput;
import java.util.concurrent.CompletionStage;

/**
 * One append session on one stream (spec section 6.5): batches reach the stream in the order they
 * are submitted, many may be in flight, and outcomes complete in the same order. Once a batch of
 * the session is rejected or fails, every batch submitted after it fails with the same error
 * without being appended. {@link #submit} must not be called concurrently.
 */
public interface AppendSession {
  /** Submits the next batch; completes like {@link RecordService#append}. */
  CompletionStage<AppendOutcome> submit(AppendInput input);

  /** Releases the session; batches still in flight complete as they would have. */
  void close();
}
