package io.millrace.http;

/** A request body, as received or once decoded, is larger than the configured bound (413). */
final class RequestBodyTooLargeException extends RuntimeException {
  private final long limit;

  RequestBodyTooLargeException(long limit) {
    super("request body is larger than " + limit + " bytes");
    this.limit = limit;
  }

  long limit() {
    return limit;
  }
}
