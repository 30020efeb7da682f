package io.millrace.core.api;

import io.millrace.core.record.AppendInput;
import io.millrace.core.record.StreamPosition;
import java.util.concurrent.CompletionStage;

/**
 * Unary data plane (spec sections 6.1 to 6.3). {@code key} is the request's {@code
 * s2-encryption-key} (null when it carried none): required for the appends and reads of an
 * encrypted stream (400 {@code bad_header} without it, 400 {@code decryption_failed} when a read
 * finds records it does not open), not used for unencrypted streams.
 */
public interface RecordService {
  /** Appends one batch; completes only once it is durable (or rejected, in log order). */
  CompletionStage<AppendOutcome> append(
      String basin, String stream, AppendInput input, EncryptionKey key);

  /** An append without an encryption key. */
  default CompletionStage<AppendOutcome> append(String basin, String stream, AppendInput input) {
    return append(basin, stream, input, null);
  }

  CompletionStage<ReadOutcome> read(
      String basin, String stream, ReadRequest request, EncryptionKey key);

  /** A read without an encryption key. */
  default CompletionStage<ReadOutcome> read(String basin, String stream, ReadRequest request) {
    return read(basin, stream, request, null);
  }

  /** The tail; records are not returned, so no encryption key is needed. */
  CompletionStage<StreamPosition> checkTail(String basin, String stream);

  /**
   * The tail as a read session sees it before it starts (its pre-flight check): like {@link
   * #checkTail}, and refused with 400 {@code bad_header} when the stream is encrypted and {@code
   * key} is null, as every read of the session would be, so that the session fails with a plain
   * error response instead of starting and failing at once.
   */
  CompletionStage<StreamPosition> tailForRead(String basin, String stream, EncryptionKey key);
}
