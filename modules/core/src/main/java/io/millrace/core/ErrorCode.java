package io.millrace.core;

/**
 * The S2 error codes (spec section 8.1) with their HTTP status and whether a client may retry.
 * Every failure that reaches a client is one of these.
 */
public enum ErrorCode {
  BAD_HEADER("bad_header", 400, false),
  BAD_PATH("bad_path", 400, false),
  BAD_QUERY("bad_query", 400, false),
  BAD_JSON("bad_json", 400, false),
  BAD_PROTO("bad_proto", 400, false),
  BAD_FRAME("bad_frame", 400, false),
  DECRYPTION_FAILED("decryption_failed", 400, false),
  AUTHN("authn", 401, false),
  PERMISSION_DENIED("permission_denied", 403, false),
  QUOTA_EXHAUSTED("quota_exhausted", 403, false),
  BASIN_NOT_FOUND("basin_not_found", 404, false),
  STREAM_NOT_FOUND("stream_not_found", 404, false),
  ACCESS_TOKEN_NOT_FOUND("access_token_not_found", 404, false),
  NOT_FOUND("not_found", 404, false),
  REQUEST_TIMEOUT("request_timeout", 408, true),
  RESOURCE_ALREADY_EXISTS("resource_already_exists", 409, false),
  BASIN_DELETION_PENDING("basin_deletion_pending", 409, false),
  STREAM_DELETION_PENDING("stream_deletion_pending", 409, false),
  TRANSACTION_CONFLICT("transaction_conflict", 409, true),
  INVALID("invalid", 422, false),
  RATE_LIMITED("rate_limited", 429, true),
  CLIENT_HANGUP("client_hangup", 499, false),
  OTHER("other", 500, true),
  STORAGE("storage", 500, true),
  NOT_IMPLEMENTED("not_implemented", 501, false),
  HOT_SERVER("hot_server", 502, true),
  SERVER_DRAINING("server_draining", 503, true),
  UNAVAILABLE("unavailable", 503, true),
  UPSTREAM_TIMEOUT("upstream_timeout", 504, true);

  private final String code;
  private final int status;
  private final boolean retryable;

  ErrorCode(String code, int status, boolean retryable) {
    this.code = code;
    this.status = status;
    this.retryable = retryable;
  }

  /** The snake_case code sent in the {@code code} field of an error body. */
  public String code() {
    return code;
  }

  /** The HTTP status this code is sent with. */
  public int status() {
    return status;
  }

  public boolean retryable() {
    return retryable;
  }
}
