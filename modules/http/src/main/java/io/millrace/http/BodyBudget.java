package io.millrace.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of buffered request-body bytes (issue 14, fault 1: each body was bounded,
 * their sum was not, and a few hundred connections sending most of a large body exhausted the
 * heap). Every request that buffers its body takes a {@link Lease}; the lease grows as the body's
 * bytes are accepted (by the declared {@code Content-Length} up front when there is one) and is
 * released when the response is complete. A request that would take the budget past its limit is
 * refused with 503 {@code unavailable} and {@code retry-after-ms} ({@link OverBudgetException})
 * without reading (or, when the length is declared, even waiting for) its body.
 */
final class BodyBudget {
  private final long limit;
  private final long retryAfterMillis;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long limit, long retryAfterMillis) {
    this.limit = limit;
    this.retryAfterMillis = retryAfterMillis;
  }

  /** A new, empty lease for one request. */
  Lease lease() {
    return new Lease();
  }

  /** Bytes held by all leases now. */
  long used() {
    return used.get();
  }

  long limit() {
    return limit;
  }

  private boolean tryTake(long n) {
    while (true) {
      long u = used.get();
      if (u + n > limit) {
        return false;
      }
      if (used.compareAndSet(u, u + n)) {
        return true;
      }
    }
  }

  /** The bytes one request holds; released once. */
  final class Lease {
    private long held;
    private boolean released;

    /** Takes {@code n} more bytes, or throws {@link OverBudgetException}. */
    synchronized void take(long n) {
      if (released) {
        return;
      }
      if (!tryTake(n)) {
        throw new OverBudgetException(limit, retryAfterMillis);
      }
      held += n;
    }

    /** Takes what is still missing to hold {@code total} bytes in all. */
    synchronized void growTo(long total) {
      if (total > held) {
        take(total - held);
      }
    }

    synchronized void release() {
      if (!released) {
        released = true;
        used.addAndGet(-held);
        held = 0;
      }
    }
  }

  /** The budget is spent: 503 {@code unavailable} with {@code retry-after-ms}. */
  static final class OverBudgetException extends RuntimeException {
    private final long retryAfterMillis;

    OverBudgetException(long limit, long retryAfterMillis) {
      super(
          "the server is buffering as many request bytes as it may ("
              + limit
              + " across all connections); retry later",
          null,
          false,
          false);
      this.retryAfterMillis = retryAfterMillis;
    }

    long retryAfterMillis() {
      return retryAfterMillis;
    }
  }
}
