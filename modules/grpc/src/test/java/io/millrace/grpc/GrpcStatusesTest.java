package io.millrace.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.millrace.core.ErrorCode;
import java.util.EnumMap;
import java.util.Map;
import org.apache.pekko.grpc.Trailers;
import org.junit.jupiter.api.Test;

class GrpcStatusesTest {

  /** The HTTP status of each code, as in spec section 8.1 (the HTTP edge's HttpStatuses). */
  private static int http(ErrorCode code) {
    return switch (code.code()) {
      case "bad_header",
              "bad_path",
              "bad_query",
              "bad_json",
              "bad_proto",
              "bad_frame",
              "decryption_failed" ->
          400;
      case "authn" -> 401;
      case "permission_denied", "quota_exhausted" -> 403;
      case "basin_not_found", "stream_not_found", "access_token_not_found", "not_found" -> 404;
      case "request_timeout" -> 408;
      case "resource_already_exists",
              "basin_deletion_pending",
              "stream_deletion_pending",
              "transaction_conflict" ->
          409;
      case "invalid" -> 422;
      case "rate_limited" -> 429;
      case "client_hangup" -> 499;
      case "not_implemented" -> 501;
      case "hot_server" -> 502;
      case "server_draining", "unavailable" -> 503;
      case "upstream_timeout" -> 504;
      default -> 500;
    };
  }

  @Test
  void everyCodeWithTheSameHttpStatusFallsInOneGrpcFamily() {
    // The allowed gRPC statuses of each HTTP status: a client that branches on the HTTP class of
    // an error branches the same way on its gRPC status.
    Map<Integer, java.util.Set<Status.Code>> allowed =
        Map.ofEntries(
            Map.entry(400, java.util.Set.of(Status.Code.INVALID_ARGUMENT)),
            Map.entry(401, java.util.Set.of(Status.Code.UNAUTHENTICATED)),
            Map.entry(
                403,
                java.util.Set.of(Status.Code.PERMISSION_DENIED, Status.Code.RESOURCE_EXHAUSTED)),
            Map.entry(404, java.util.Set.of(Status.Code.NOT_FOUND)),
            Map.entry(408, java.util.Set.of(Status.Code.DEADLINE_EXCEEDED)),
            Map.entry(
                409,
                java.util.Set.of(
                    Status.Code.ALREADY_EXISTS,
                    Status.Code.FAILED_PRECONDITION,
                    Status.Code.ABORTED)),
            Map.entry(422, java.util.Set.of(Status.Code.INVALID_ARGUMENT)),
            Map.entry(429, java.util.Set.of(Status.Code.RESOURCE_EXHAUSTED)),
            Map.entry(499, java.util.Set.of(Status.Code.CANCELLED)),
            Map.entry(500, java.util.Set.of(Status.Code.INTERNAL, Status.Code.DATA_LOSS)),
            Map.entry(501, java.util.Set.of(Status.Code.UNIMPLEMENTED)),
            Map.entry(502, java.util.Set.of(Status.Code.UNAVAILABLE)),
            Map.entry(503, java.util.Set.of(Status.Code.UNAVAILABLE)),
            Map.entry(504, java.util.Set.of(Status.Code.DEADLINE_EXCEEDED)));
    Map<ErrorCode, Status.Code> mapped = new EnumMap<>(ErrorCode.class);
    for (ErrorCode code : ErrorCode.values()) {
      mapped.put(code, GrpcStatuses.of(code));
      assertThat(allowed.get(http(code)))
          .as("gRPC status of %s (HTTP %d)", code.code(), http(code))
          .contains(GrpcStatuses.of(code));
    }
    assertThat(mapped.get(ErrorCode.RESOURCE_ALREADY_EXISTS)).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(mapped.get(ErrorCode.STREAM_DELETION_PENDING))
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(mapped.get(ErrorCode.TRANSACTION_CONFLICT)).isEqualTo(Status.Code.ABORTED);
  }

  @Test
  void trailersCarryTheS2CodeInTheDescriptionAndTheMetadata() {
    Trailers t = GrpcErrors.of(ErrorCode.STREAM_NOT_FOUND, "stream 'x' does not exist");
    assertThat(t.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(t.getStatus().getDescription())
        .isEqualTo("stream_not_found: stream 'x' does not exist");
    assertThat(t.getMetadata().getText(GrpcErrors.ERROR_CODE_KEY)).contains("stream_not_found");
    assertThat(t.getMetadata().getText(GrpcErrors.RETRYABLE_KEY)).isEmpty();
    assertThat(
            GrpcErrors.of(ErrorCode.STORAGE, "x").getMetadata().getText(GrpcErrors.RETRYABLE_KEY))
        .contains("true");
  }
}
