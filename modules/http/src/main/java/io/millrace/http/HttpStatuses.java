package io.millrace.http;

import io.millrace.core.ErrorCode;

/**
 * The HTTP status each S2 error code is sent with (spec section 8.1). The engine and the domain
 * know only {@link ErrorCode}; this table is the HTTP edge's.
 */
final class HttpStatuses {
  private HttpStatuses() {}

  /** The HTTP status a failure with {@code code} is answered with. */
  static int of(ErrorCode code) {
    return switch (code) {
      case BAD_HEADER, BAD_PATH, BAD_QUERY, BAD_JSON, BAD_PROTO, BAD_FRAME, DECRYPTION_FAILED ->
          400;
      case AUTHN -> 401;
      case PERMISSION_DENIED, QUOTA_EXHAUSTED -> 403;
      case BASIN_NOT_FOUND, STREAM_NOT_FOUND, ACCESS_TOKEN_NOT_FOUND, NOT_FOUND -> 404;
      case REQUEST_TIMEOUT -> 408;
      case RESOURCE_ALREADY_EXISTS,
              BASIN_DELETION_PENDING,
              STREAM_DELETION_PENDING,
              TRANSACTION_CONFLICT ->
          409;
      case INVALID -> 422;
      case RATE_LIMITED -> 429;
      case CLIENT_HANGUP -> 499;
      case OTHER, STORAGE, DATA_LOSS -> 500;
      case NOT_IMPLEMENTED -> 501;
      case HOT_SERVER -> 502;
      case SERVER_DRAINING, UNAVAILABLE -> 503;
      case UPSTREAM_TIMEOUT -> 504;
    };
  }
}
