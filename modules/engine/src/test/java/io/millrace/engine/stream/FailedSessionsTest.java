package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailedSessionsTest {
  @Test
  void onlyTheMostRecentlyFailedSessionsAreRemembered() {
    FailedSessions sessions = new FailedSessions(2);
    sessions.markFailed("a");
    sessions.markFailed("b");
    sessions.markFailed("c");

    assertThat(sessions.hasFailed("a")).isFalse();
    assertThat(sessions.hasFailed("b")).isTrue();
    assertThat(sessions.hasFailed("c")).isTrue();
  }

  @Test
  void appendsOutsideSessionsAreNeverRemembered() {
    FailedSessions sessions = new FailedSessions();
    sessions.markFailed(null);

    assertThat(sessions.hasFailed(null)).isFalse();
  }

  @Test
  void aBatchSentAfterAnUnansweredOneIsAdmittedOnlyForASessionThisIncarnationHasSeen() {
    FailedSessions sessions = new FailedSessions();

    assertThat(sessions.admit("new", true)).isFalse();
    assertThat(sessions.admit("fresh", false)).isTrue();
    assertThat(sessions.admit("fresh", true)).isTrue();
    assertThat(sessions.admit(null, true)).isTrue();
  }
}
