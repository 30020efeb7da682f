package io.millrace.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class MemberLossAsksTest {
  private final AtomicLong now = new AtomicLong();
  private final LongAdder failedCount = new LongAdder();
  private final MemberLossAsks asks =
      new MemberLossAsks(Duration.ofSeconds(1), Duration.ofSeconds(5), now::get, failedCount);

  private void advance(long millis) {
    now.addAndGet(Duration.ofMillis(millis).toNanos());
  }

  @Test
  void aLostMemberFailsOnlyAsksPendingAtLeastTheMinimumAgeAsTimedOut() {
    CompletableFuture<String> old = new CompletableFuture<>();
    CompletionStage<String> oldTracked = asks.track(old);
    now.addAndGet(Duration.ofMillis(1500).toNanos());
    CompletableFuture<String> young = new CompletableFuture<>();
    CompletionStage<String> youngTracked = asks.track(young);
    now.addAndGet(Duration.ofMillis(200).toNanos());

    assertThat(asks.memberUnreachable("x")).isEqualTo(1);

    assertThat(oldTracked.toCompletableFuture())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(MemberLossAsks.MemberLost.class)
        .withMessageContaining("member x became unreachable");
    assertThat(youngTracked.toCompletableFuture()).isNotDone();
    // The late answer of the failed ask changes nothing; the young ask still gets its answer.
    old.complete("late");
    young.complete("answer");
    assertThat(oldTracked.toCompletableFuture().isCompletedExceptionally()).isTrue();
    assertThat(youngTracked.toCompletableFuture()).isCompletedWithValue("answer");
    assertThat(asks.size()).isZero();
  }

  @Test
  void answeredAndFailedAsksAreForgottenAndPassedThrough() {
    CompletableFuture<String> ok = new CompletableFuture<>();
    CompletableFuture<String> bad = new CompletableFuture<>();
    CompletionStage<String> okTracked = asks.track(ok);
    CompletionStage<String> badTracked = asks.track(bad);
    ok.complete("done");
    IllegalStateException boom = new IllegalStateException("boom");
    bad.completeExceptionally(boom);
    now.addAndGet(Duration.ofSeconds(5).toNanos());

    assertThat(asks.memberRemoved("y")).isZero();
    assertThat(okTracked.toCompletableFuture()).isCompletedWithValue("done");
    assertThat(badTracked.toCompletableFuture())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCause(boom);
    assertThat(asks.size()).isZero();
  }

  @Test
  void withinTheWindowAfterALossAsksThatReachTheMinimumAgeAreFailedToo() {
    CompletableFuture<String> young = new CompletableFuture<>();
    CompletionStage<String> youngTracked = asks.track(young);
    advance(300);
    assertThat(asks.memberUnreachable("x")).isZero();
    // Sent to the lost member after the event (its shards still route there until its removal).
    CompletableFuture<String> later = new CompletableFuture<>();
    CompletionStage<String> laterTracked = asks.track(later);

    advance(800);
    assertThat(asks.sweep()).as("the first ask is 1.1 s old, the second 0.8 s").isEqualTo(1);
    assertThat(youngTracked.toCompletableFuture())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(MemberLossAsks.MemberLost.class);
    assertThat(laterTracked.toCompletableFuture()).isNotDone();

    advance(300);
    assertThat(asks.sweep()).isEqualTo(1);
    assertThat(laterTracked.toCompletableFuture().isCompletedExceptionally()).isTrue();
    assertThat(failedCount.sum()).isEqualTo(2);
    assertThat(asks.size()).isZero();
  }

  @Test
  void afterTheWindowClosesSlowAsksWaitForTheirAnswer() {
    asks.memberUnreachable("x");
    assertThat(asks.windowOpen()).isTrue();
    advance(5_001);
    assertThat(asks.windowOpen()).isFalse();
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletionStage<String> slowTracked = asks.track(slow);
    advance(3_000);

    assertThat(asks.sweep()).isZero();
    slow.complete("answer");
    assertThat(slowTracked.toCompletableFuture()).isCompletedWithValue("answer");
  }

  @Test
  void asksSentAfterARemovalWithNoMemberUnreachableAreNotFailedEarly() {
    asks.memberUnreachable("x");
    advance(200);
    // Sent while x is unreachable: it may have gone to x.
    CompletableFuture<String> beforeRemoval = new CompletableFuture<>();
    CompletionStage<String> beforeTracked = asks.track(beforeRemoval);
    advance(300);
    assertThat(asks.memberRemoved("x")).isZero();
    // Sent after x was removed: to a live member, say one still recovering the stream.
    CompletableFuture<String> afterRemoval = new CompletableFuture<>();
    CompletionStage<String> afterTracked = asks.track(afterRemoval);

    advance(1_500);
    assertThat(asks.sweep()).as("only the ask sent before the removal").isEqualTo(1);
    assertThat(beforeTracked.toCompletableFuture())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(MemberLossAsks.MemberLost.class);
    assertThat(afterTracked.toCompletableFuture()).isNotDone();
    afterRemoval.complete("appended after the recovery");
    assertThat(afterTracked.toCompletableFuture())
        .isCompletedWithValue("appended after the recovery");
  }

  @Test
  void asksSentAfterARemovalAreFailedEarlyWhileAnotherMemberIsUnreachable() {
    asks.memberUnreachable("x");
    asks.memberUnreachable("y");
    advance(100);
    asks.memberRemoved("x");
    // y is still unreachable, and its shards still route to it.
    CompletableFuture<String> toY = new CompletableFuture<>();
    CompletionStage<String> toYTracked = asks.track(toY);
    advance(1_100);
    assertThat(asks.sweep()).isEqualTo(1);
    assertThat(toYTracked.toCompletableFuture().isCompletedExceptionally()).isTrue();

    // y comes back: asks sent after x's removal are left alone again.
    asks.memberReachable("y");
    CompletableFuture<String> later = new CompletableFuture<>();
    CompletionStage<String> laterTracked = asks.track(later);
    advance(1_100);
    assertThat(asks.sweep()).isZero();
    assertThat(laterTracked.toCompletableFuture()).isNotDone();

    // A member becoming unreachable makes them suspects again.
    assertThat(asks.memberUnreachable("z")).isEqualTo(1);
    assertThat(laterTracked.toCompletableFuture().isCompletedExceptionally()).isTrue();
  }

  @Test
  void aSweepWithoutAnyLossFailsNothing() {
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletionStage<String> slowTracked = asks.track(slow);
    advance(9_000);

    assertThat(asks.sweep()).isZero();
    assertThat(slowTracked.toCompletableFuture()).isNotDone();
  }
}
