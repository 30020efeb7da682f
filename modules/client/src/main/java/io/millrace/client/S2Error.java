package io.millrace.client;

import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A failed call: the gRPC status, the S2 error code the server sent in {@code s2-error-code} (or
 * one the SDK chose for failures that never reached a server), and whether retrying may succeed. A
 * failed append condition carries what the stream expected ({@link #expectedSeqNum()}, {@link
 * #expectedFencingToken()}).
 */
public final class S2Error extends RuntimeException {
  static final Metadata.Key<String> CODE_KEY =
      Metadata.Key.of("s2-error-code", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RETRYABLE_KEY =
      Metadata.Key.of("s2-retryable", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> EXPECTED_SEQ_NUM_KEY =
      Metadata.Key.of("s2-expected-seq-num", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> FENCING_TOKEN_KEY =
      Metadata.Key.of("s2-fencing-token", Metadata.ASCII_STRING_MARSHALLER);

  /** S2 code of an append whose {@code match_seq_num} did not match the tail. */
  public static final String SEQ_NUM_MISMATCH = "seq_num_mismatch";

  /** S2 code of an append whose {@code fencing_token} did not match the stream's. */
  public static final String FENCING_TOKEN_MISMATCH = "fencing_token_mismatch";

  private final Status.Code status;
  private final String code;
  private final boolean retryable;
  private final Long expectedSeqNum;
  private final String expectedFencingToken;

  S2Error(
      Status.Code status,
      String code,
      String message,
      boolean retryable,
      Long expectedSeqNum,
      String expectedFencingToken,
      Throwable cause) {
    super(code + ": " + message, cause);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.expectedSeqNum = expectedSeqNum;
    this.expectedFencingToken = expectedFencingToken;
  }

  /** The gRPC status code of the failure. */
  public Status.Code status() {
    return status;
  }

  /**
   * The S2 error code ({@code stream_not_found}, {@code seq_num_mismatch}, ...); for failures
   * without one from the server: {@code unavailable} (no connection), {@code request_timeout} (the
   * SDK's request timeout) or the gRPC status name in lower case.
   */
  public String code() {
    return code;
  }

  /** Whether the same request may succeed when retried (the server said so, or no answer came). */
  public boolean retryable() {
    return retryable;
  }

  /** For {@link #SEQ_NUM_MISMATCH}: the stream's tail, which {@code match_seq_num} must equal. */
  public OptionalLong expectedSeqNum() {
    return expectedSeqNum == null ? OptionalLong.empty() : OptionalLong.of(expectedSeqNum);
  }

  /** For {@link #FENCING_TOKEN_MISMATCH}: the stream's current fencing token. */
  public Optional<String> expectedFencingToken() {
    return Optional.ofNullable(expectedFencingToken);
  }

  /** The S2 error behind {@code t} (unwrapping completion wrappers), made one if it is not. */
  public static S2Error from(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof S2Error e) {
      return e;
    }
    if (cause instanceof TimeoutException) {
      return new S2Error(
          Status.Code.DEADLINE_EXCEEDED,
          "request_timeout",
          "no answer within the request timeout",
          true,
          null,
          null,
          cause);
    }
    if (cause instanceof CancellationException) {
      return new S2Error(
          Status.Code.CANCELLED, "cancelled", "cancelled by the client", false, null, null, cause);
    }
    Status status = Status.fromThrowable(cause);
    Metadata trailers = Status.trailersFromThrowable(cause);
    String s2Code = trailers == null ? null : trailers.get(CODE_KEY);
    boolean serverRetryable = trailers != null && "true".equals(trailers.get(RETRYABLE_KEY));
    Long expected = null;
    String token = null;
    if (trailers != null) {
      String e = trailers.get(EXPECTED_SEQ_NUM_KEY);
      if (e != null) {
        try {
          expected = Long.parseUnsignedLong(e.trim());
        } catch (NumberFormatException ignored) {
          // not a number: leave it out
        }
      }
      token = trailers.get(FENCING_TOKEN_KEY);
    }
    Status.Code sc = status.getCode();
    if (s2Code == null) {
      s2Code =
          switch (sc) {
            case UNAVAILABLE -> "unavailable";
            case DEADLINE_EXCEEDED -> "request_timeout";
            default -> sc.name().toLowerCase(java.util.Locale.ROOT);
          };
    }
    // Without an S2 code the failure did not come from Millrace's error table: UNAVAILABLE is a
    // connection that could not be made or was lost, which is always worth another try.
    boolean retryable =
        serverRetryable || sc == Status.Code.UNAVAILABLE || sc == Status.Code.DEADLINE_EXCEEDED;
    String message =
        status.getDescription() != null ? status.getDescription() : String.valueOf(cause);
    String prefix = s2Code + ": ";
    if (message.startsWith(prefix)) {
      message = message.substring(prefix.length());
    }
    return new S2Error(sc, s2Code, message, retryable, expected, token, cause);
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
