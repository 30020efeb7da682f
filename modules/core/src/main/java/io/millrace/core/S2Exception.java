package io.millrace.core;

/**
 * A failure with an S2 error code, to be sent to the client as {@code {"code", "message"}} with the
 * code's status. Domain outcomes that have structured bodies (412, 416) are result types, not
 * exceptions.
 */
public class S2Exception extends RuntimeException {
  private final ErrorCode code;

  public S2Exception(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public S2Exception(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public static S2Exception invalid(String message) {
    return new S2Exception(ErrorCode.INVALID, message);
  }

  /**
   * Unwraps {@link java.util.concurrent.CompletionException} and friends and returns the S2 failure
   * inside, or {@code other}/{@code storage} for anything unexpected.
   */
  public static S2Exception from(Throwable t) {
    Throwable cur = Failures.unwrap(t);
    if (cur instanceof S2Exception s) {
      return s;
    }
    // The detail (paths, class names) stays in the cause, for the log; clients see no internals.
    return new S2Exception(ErrorCode.OTHER, "internal error", cur);
  }
}
