package io.millrace.core;

/**
 * The S2 error codes (spec section 8.1) and whether a client may retry. Every failure that reaches
 * a client is one of these. The HTTP status each code is sent with belongs to the HTTP edge ({@code
 * io.millrace.http.HttpStatuses}).
 */
public enum ErrorCode {
  BAD_HEADER("bad_header", false),
  BAD_PATH("bad_path", false),
  BAD_QUERY("bad_query", false),
  BAD_JSON("bad_json", false),
  BAD_PROTO("bad_proto", false),
  BAD_FRAME("bad_frame", false),
  DECRYPTION_FAILED("decryption_failed", false),
  AUTHN("authn", false),
  PERMISSION_DENIED("permission_denied", false),
  QUOTA_EXHAUSTED("quota_exhausted", false),
  BASIN_NOT_FOUND("basin_not_found", false),
  STREAM_NOT_FOUND("stream_not_found", false),
  ACCESS_TOKEN_NOT_FOUND("access_token_not_found", false),
  NOT_FOUND("not_found", false),
  REQUEST_TIMEOUT("request_timeout", true),
  RESOURCE_ALREADY_EXISTS("resource_already_exists", false),
  BASIN_DELETION_PENDING("basin_deletion_pending", false),
  STREAM_DELETION_PENDING("stream_deletion_pending", false),
  TRANSACTION_CONFLICT("transaction_conflict", true),
  INVALID("invalid", false),
  RATE_LIMITED("rate_limited", true),
  CLIENT_HANGUP("client_hangup", false),
  OTHER("other", true),
  STORAGE("storage", true),
  NOT_IMPLEMENTED("not_implemented", false),
  HOT_SERVER("hot_server", true),
  SERVER_DRAINING("server_draining", true),
  UNAVAILABLE("unavailable", true),
  UPSTREAM_TIMEOUT("upstream_timeout", true),
  /**
   * Millrace's own code, not in S2's table: stored data that acknowledged records depend on is
   * missing or corrupt (a lost WAL chunk, a damaged segment block). Retrying cannot help until an
   * operator repairs it ({@code millrace verify --repair}); the message names the damage.
   */
  DATA_LOSS("data_loss", false);

  private final String code;
  private final boolean retryable;

  ErrorCode(String code, boolean retryable) {
    this.code = code;
    this.retryable = retryable;
  }

  /** The snake_case code sent in the {@code code} field of an error body. */
  public String code() {
    return code;
  }

  /** Whether a client may retry the request that failed with this code. */
  public boolean retryable() {
    return retryable;
  }
}
