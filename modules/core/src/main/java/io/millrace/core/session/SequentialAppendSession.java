package io.millrace.core.session;

import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.RecordService;
import io.millrace.core.record.AppendInput;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An {@link AppendSession} over a plain {@link RecordService}: each batch is sent once the one
 * before it has been acked, so order holds without help from the service and nothing after a failed
 * batch is appended. Used by the edges when the record service offers no pipelined sessions.
 */
public final class SequentialAppendSession implements AppendSession {
  private final RecordService records;
  private final String basin;
  private final String stream;
  private final EncryptionKey key;
  private CompletableFuture<AppendOutcome> last = CompletableFuture.completedFuture(null);

  public SequentialAppendSession(
      RecordService records, String basin, String stream, EncryptionKey key) {
    this.records = records;
    this.basin = basin;
    this.stream = stream;
    this.key = key;
  }

  @Override
  public synchronized CompletionStage<AppendOutcome> submit(AppendInput input) {
    last =
        last.thenCompose(
            previous -> {
              if (previous != null && !(previous instanceof AppendOutcome.Appended)) {
                return CompletableFuture.completedFuture(previous);
              }
              return records.append(basin, stream, input, key);
            });
    return last;
  }

  @Override
  public void close() {}
}
