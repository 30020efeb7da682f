package io.millrace.engine.stream;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The append sessions of one entity incarnation: those that had a batch fail (412, 422,
 * backpressure, draining, storage failure, failed streamlet assignment, a batch sent after an
 * unanswered one this incarnation never saw), whose later batches are answered with a failure and
 * not appended; and those this incarnation has taken a batch of. Only the most recently used
 * sessions are remembered (LRUs).
 */
final class FailedSessions {
  static final int CAPACITY = 10_000;

  private final Map<String, Boolean> failed;
  private final Map<String, Boolean> seen;

  FailedSessions() {
    this(CAPACITY);
  }

  FailedSessions(int capacity) {
    this.failed = lru(capacity);
    this.seen = lru(capacity);
  }

  private static Map<String, Boolean> lru(int capacity) {
    return new LinkedHashMap<>(16, 0.75f, true) {
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

  /**
   * Takes a batch of session {@code sessionId} sent {@code afterUnanswered} (an earlier batch of
   * the session had no answer yet when it was sent): false if this incarnation never saw the
   * session before and so cannot know that earlier batch's outcome; else remembers the session.
   */
  boolean admit(String sessionId, boolean afterUnanswered) {
    if (sessionId == null) {
      return true;
    }
    if (afterUnanswered && !seen.containsKey(sessionId)) {
      return false;
    }
    seen.put(sessionId, Boolean.TRUE);
    return true;
  }
}
