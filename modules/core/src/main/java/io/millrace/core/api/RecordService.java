package io.millrace.core.api;

import io.millrace.core.record.AppendInput;
import io.millrace.core.record.StreamPosition;
import java.util.concurrent.CompletionStage;

/** Unary data plane (spec sections 6.1 to 6.3). */
public interface RecordService {
  /** Appends one batch; completes only once it is durable (or rejected, in log order). */
  CompletionStage<AppendOutcome> append(String basin, String stream, AppendInput input);

  CompletionStage<ReadOutcome> read(String basin, String stream, ReadRequest request);

  CompletionStage<StreamPosition> checkTail(String basin, String stream);
}
