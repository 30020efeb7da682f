package io.millrace.client;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link MillraceClient}. Build with {@link #builder(Endpoint)}; every field but the
 * endpoint has a default.
 *
 * @param endpoint the gRPC endpoint
 * @param accessToken sent as {@code authorization: Bearer <token>}; null sends none
 * @param retry how retryable failures of unary calls and read sessions are retried
 * @param appendRetry which appends may be retried
 * @param requestTimeout how long a unary call may take before it fails with {@code request_timeout}
 *     (retryable; an append without {@code match_seq_num} is still not retried)
 * @param maxInflightBatches how many batches an append session may have sent and not had
 *     acknowledged; {@link AppendSession#submit} waits beyond that (backpressure)
 * @param heartbeatTimeout a read session that asked for heartbeats and heard nothing for this long
 *     reconnects
 */
public record ClientConfig(
    Endpoint endpoint,
    String accessToken,
    RetryPolicy retry,
    RetryPolicy.AppendRetry appendRetry,
    Duration requestTimeout,
    int maxInflightBatches,
    Duration heartbeatTimeout) {

  public ClientConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(appendRetry, "appendRetry");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(heartbeatTimeout, "heartbeatTimeout");
    if (maxInflightBatches < 1) {
      throw new IllegalArgumentException("maxInflightBatches must be at least 1");
    }
  }

  public static Builder builder(Endpoint endpoint) {
    return new Builder(endpoint);
  }

  /** A builder starting from the defaults. */
  public static final class Builder {
    private final Endpoint endpoint;
    private String accessToken;
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private RetryPolicy.AppendRetry appendRetry = RetryPolicy.AppendRetry.IF_IDEMPOTENT;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private int maxInflightBatches = 256;
    private Duration heartbeatTimeout = Duration.ofSeconds(30);

    private Builder(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    public Builder accessToken(String token) {
      this.accessToken = token;
      return this;
    }

    public Builder retry(RetryPolicy retry) {
      this.retry = retry;
      return this;
    }

    public Builder appendRetry(RetryPolicy.AppendRetry appendRetry) {
      this.appendRetry = appendRetry;
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    public Builder maxInflightBatches(int maxInflightBatches) {
      this.maxInflightBatches = maxInflightBatches;
      return this;
    }

    public Builder heartbeatTimeout(Duration heartbeatTimeout) {
      this.heartbeatTimeout = heartbeatTimeout;
      return this;
    }

    public ClientConfig build() {
      return new ClientConfig(
          endpoint,
          accessToken,
          retry,
          appendRetry,
          requestTimeout,
          maxInflightBatches,
          heartbeatTimeout);
    }
  }
}
