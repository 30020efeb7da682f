package io.millrace.engine.stream;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The append sessions of one entity incarnation that had a batch fail (412, 422, backpressure,
 * draining, storage failure, failed streamlet assignment): their later batches are answered with a
 * failure and not appended. Only the most recently failed sessions are remembered (an LRU).
 */
final class FailedSessions {
  static final int CAPACITY = 10_000;

  private final Map<String, Boolean> failed;

  FailedSessions() {
    this(CAPACITY);
  }

  FailedSessions(int capacity) {
    this.failed =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > capacity;
          }
        };
  }

  /** Remembers that a batch of session {@code sessionId} failed; null (no session) is ignored. */
  void markFailed(String sessionId) {
    if (sessionId != null) {
      failed.put(sessionId, Boolean.TRUE);
    }
  }

  /** Whether an earlier batch of session {@code sessionId} failed. */
  boolean hasFailed(String sessionId) {
    return sessionId != null && failed.containsKey(sessionId);
  }
}
