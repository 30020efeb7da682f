package io.millrace.grpc;

import io.grpc.Status;
import io.millrace.core.ErrorCode;

/**
 * The gRPC status each S2 error code is sent with: the gRPC edge's counterpart of the HTTP edge's
 * {@code HttpStatuses}, and the only such table of this edge. Codes sharing an HTTP status share a
 * gRPC status, except where gRPC has a closer word for the same condition (documented in
 * docs/grpc.md):
 *
 * <table>
 *   <tr><th>S2 code (HTTP status)</th><th>gRPC status</th></tr>
 *   <tr><td>bad_* and decryption_failed (400), invalid (422)</td><td>INVALID_ARGUMENT</td></tr>
 *   <tr><td>authn (401)</td><td>UNAUTHENTICATED</td></tr>
 *   <tr><td>permission_denied (403)</td><td>PERMISSION_DENIED</td></tr>
 *   <tr><td>quota_exhausted (403), rate_limited (429)</td><td>RESOURCE_EXHAUSTED</td></tr>
 *   <tr><td>*_not_found (404)</td><td>NOT_FOUND</td></tr>
 *   <tr><td>request_timeout (408), upstream_timeout (504)</td><td>DEADLINE_EXCEEDED</td></tr>
 *   <tr><td>resource_already_exists (409)</td><td>ALREADY_EXISTS</td></tr>
 *   <tr><td>basin/stream_deletion_pending (409)</td><td>FAILED_PRECONDITION</td></tr>
 *   <tr><td>transaction_conflict (409)</td><td>ABORTED</td></tr>
 *   <tr><td>client_hangup (499)</td><td>CANCELLED</td></tr>
 *   <tr><td>other, storage (500)</td><td>INTERNAL</td></tr>
 *   <tr><td>data_loss (500)</td><td>DATA_LOSS</td></tr>
 *   <tr><td>not_implemented (501)</td><td>UNIMPLEMENTED</td></tr>
 *   <tr><td>hot_server (502), server_draining, unavailable (503)</td><td>UNAVAILABLE</td></tr>
 * </table>
 *
 * Append conditions that fail (HTTP 412) are FAILED_PRECONDITION ({@link GrpcErrors}); a read past
 * the tail (HTTP 416) is not an error in s2.v1alpha but a {@code next_seq_num} output.
 */
final class GrpcStatuses {
  private GrpcStatuses() {}

  /** The gRPC status code a failure with {@code code} is answered with. */
  static Status.Code of(ErrorCode code) {
    return switch (code) {
      case BAD_HEADER,
              BAD_PATH,
              BAD_QUERY,
              BAD_JSON,
              BAD_PROTO,
              BAD_FRAME,
              DECRYPTION_FAILED,
              INVALID ->
          Status.Code.INVALID_ARGUMENT;
      case AUTHN -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case QUOTA_EXHAUSTED, RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
      case BASIN_NOT_FOUND, STREAM_NOT_FOUND, ACCESS_TOKEN_NOT_FOUND, NOT_FOUND ->
          Status.Code.NOT_FOUND;
      case REQUEST_TIMEOUT, UPSTREAM_TIMEOUT -> Status.Code.DEADLINE_EXCEEDED;
      case RESOURCE_ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case BASIN_DELETION_PENDING, STREAM_DELETION_PENDING -> Status.Code.FAILED_PRECONDITION;
      case TRANSACTION_CONFLICT -> Status.Code.ABORTED;
      case CLIENT_HANGUP -> Status.Code.CANCELLED;
      case OTHER, STORAGE -> Status.Code.INTERNAL;
      case DATA_LOSS -> Status.Code.DATA_LOSS;
      case NOT_IMPLEMENTED -> Status.Code.UNIMPLEMENTED;
      case HOT_SERVER, SERVER_DRAINING, UNAVAILABLE -> Status.Code.UNAVAILABLE;
    };
  }
}
