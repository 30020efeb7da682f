package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpStatusesTest {

  @Test
  void everyErrorCodeIsSentWithTheStatusOfSpecSection81() {
    Map<ErrorCode, Integer> expected = new EnumMap<>(ErrorCode.class);
    expected.put(ErrorCode.BAD_HEADER, 400);
    expected.put(ErrorCode.BAD_PATH, 400);
    expected.put(ErrorCode.BAD_QUERY, 400);
    expected.put(ErrorCode.BAD_JSON, 400);
    expected.put(ErrorCode.BAD_PROTO, 400);
    expected.put(ErrorCode.BAD_FRAME, 400);
    expected.put(ErrorCode.DECRYPTION_FAILED, 400);
    expected.put(ErrorCode.AUTHN, 401);
    expected.put(ErrorCode.PERMISSION_DENIED, 403);
    expected.put(ErrorCode.QUOTA_EXHAUSTED, 403);
    expected.put(ErrorCode.BASIN_NOT_FOUND, 404);
    expected.put(ErrorCode.STREAM_NOT_FOUND, 404);
    expected.put(ErrorCode.ACCESS_TOKEN_NOT_FOUND, 404);
    expected.put(ErrorCode.NOT_FOUND, 404);
    expected.put(ErrorCode.REQUEST_TIMEOUT, 408);
    expected.put(ErrorCode.RESOURCE_ALREADY_EXISTS, 409);
    expected.put(ErrorCode.BASIN_DELETION_PENDING, 409);
    expected.put(ErrorCode.STREAM_DELETION_PENDING, 409);
    expected.put(ErrorCode.TRANSACTION_CONFLICT, 409);
    expected.put(ErrorCode.INVALID, 422);
    expected.put(ErrorCode.RATE_LIMITED, 429);
    expected.put(ErrorCode.CLIENT_HANGUP, 499);
    expected.put(ErrorCode.OTHER, 500);
    expected.put(ErrorCode.STORAGE, 500);
    expected.put(ErrorCode.NOT_IMPLEMENTED, 501);
    expected.put(ErrorCode.HOT_SERVER, 502);
    expected.put(ErrorCode.SERVER_DRAINING, 503);
    expected.put(ErrorCode.UNAVAILABLE, 503);
    expected.put(ErrorCode.UPSTREAM_TIMEOUT, 504);
    // Millrace's own, not in the spec's table: damaged stored data (500, not retryable).
    expected.put(ErrorCode.DATA_LOSS, 500);
    assertThat(expected).hasSize(ErrorCode.values().length);
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(HttpStatuses.of(code)).as(code.code()).isEqualTo(expected.get(code));
    }
  }
}
