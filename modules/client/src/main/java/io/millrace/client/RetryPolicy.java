package io.millrace.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How failed calls are retried: at most {@code maxAttempts} tries in all (1 = never retry), with
 * exponential backoff from {@code minDelay} doubling up to {@code maxDelay}, each delay drawn
 * uniformly from its upper half ("equal jitter"). Only {@link S2Error#retryable() retryable}
 * failures are retried, and an append only when it is safe (see {@link AppendRetry}).
 */
public record RetryPolicy(int maxAttempts, Duration minDelay, Duration maxDelay) {
  /** 5 tries, 100 ms to 2 s. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(2));

  /** One try, no retries. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (minDelay.isNegative() || maxDelay.compareTo(minDelay) < 0) {
      throw new IllegalArgumentException("need 0 <= minDelay <= maxDelay");
    }
  }

  /** The delay before retry number {@code retry} (1 = the first retry). */
  public Duration delay(int retry) {
    long min = minDelay.toNanos();
    long max = maxDelay.toNanos();
    long d = min;
    for (int i = 1; i < retry && d < max; i++) {
      d = Math.min(max, d * 2);
    }
    if (d <= 1) {
      return Duration.ofNanos(d);
    }
    long half = d / 2;
    return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(d - half + 1));
  }

  /** When an append may be sent again after a retryable failure. */
  public enum AppendRetry {
    /**
     * Only appends that carry {@code match_seq_num}: a retry of an append that did land fails with
     * {@code seq_num_mismatch} instead of writing the records twice. The default.
     */
    IF_IDEMPOTENT,
    /** Every append (opt-in): a failure after the records landed can write them twice. */
    ALWAYS,
    /** Never. */
    NEVER
  }
}
