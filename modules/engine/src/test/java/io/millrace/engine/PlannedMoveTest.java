package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.input;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.TimestampingMode;
import io.millrace.engine.stream.StreamEntity;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a client sees around a planned move of a stream between nodes (docs/adr/0012): a node that
 * does not host shards yet refuses requests retryably instead of taking streams it cannot serve,
 * and a request that reaches no entity (it stopped for a hand-off, its shard is handing off) is
 * answered {@code unavailable} at once instead of leaving its caller waiting for the ask timeout.
 */
class PlannedMoveTest {
  private static final StreamEntity.StreamParams PARAMS =
      new StreamEntity.StreamParams(StorageClass.EXPRESS, TimestampingMode.CLIENT_PREFER, false);

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  @Test
  void aNodeRefusesRequestsRetryablyUntilItHostsShardsAndServesThemAfterwards() {
    EngineNode node = fx.startWithoutShards("", clock);
    DataPlane dp = node.dataPlane;
    String s = fx.stream("before-join");

    assertThat(dp.channelsReady()).isTrue();
    assertThat(dp.isReady()).as("ready before it hosts shards").isFalse();
    S2Exception refused = failure(dp.append(DataPlaneFixture.BASIN, s, input("a"), null));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("starting");
    assertThat(failure(dp.checkTail(DataPlaneFixture.BASIN, s)).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);

    dp.joinSharding();

    assertThat(dp.isReady()).isTrue();
    assertThat(appended(dp, s, "a", "b").start().seqNum()).isZero();
  }

  @Test
  void anAppendSentToAStoppedStreamEntityIsAnsweredUnavailableAtOnce() {
    EngineNode node = fx.start("", clock);
    ActorTestKit kit = node.testKit;
    ActorRef<StreamEntity.Command> stopped = kit.spawn(Behaviors.stopped());
    TestProbe<StreamEntity.AppendReply> replies = kit.createTestProbe();
    replies.expectTerminated(stopped, Duration.ofSeconds(5));

    stopped.tell(new StreamEntity.Append(PARAMS, input("lost"), replies.getRef()));

    StreamEntity.AppendReply reply = replies.expectMessageClass(StreamEntity.Failed.class);
    assertThat(((StreamEntity.Failed) reply).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(node.dataPlane.metrics().undeliveredRequests.sum()).isEqualTo(1);
  }

  @Test
  void aShardedReadOrCheckTailThatEndsAsADeadLetterIsAnsweredUnavailableAtOnce() {
    EngineNode node = fx.start("", clock);
    ActorTestKit kit = node.testKit;
    TestProbe<StreamEntity.TailReply> tails = kit.createTestProbe();
    ActorRef<Object> deadLetters = kit.system().deadLetters();

    deadLetters.tell(
        new ShardingEnvelope<>("some-stream", new StreamEntity.CheckTail(tails.getRef())));

    StreamEntity.TailReply reply = tails.expectMessageClass(StreamEntity.Failed.class);
    assertThat(((StreamEntity.Failed) reply).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void aRequestAShardRegionDropsAtTheStartOfAHandOffIsAnsweredUnavailableAtOnce() {
    EngineNode node = fx.start("", clock);
    ActorTestKit kit = node.testKit;
    TestProbe<StreamEntity.AppendReply> replies = kit.createTestProbe();
    org.apache.pekko.actor.ActorRef deadLetters =
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(kit.system()).deadLetters();

    // What ShardRegion does with its buffered messages to a shard when the hand-off begins.
    deadLetters.tell(
        new org.apache.pekko.actor.Dropped(
            new ShardingEnvelope<>(
                "moving-stream",
                new StreamEntity.Append(PARAMS, input("buffered"), replies.getRef())),
            "Avoiding reordering of buffered messages at shard handoff",
            org.apache.pekko.actor.ActorRef.noSender(),
            org.apache.pekko.actor.ActorRef.noSender()),
        org.apache.pekko.actor.ActorRef.noSender());

    StreamEntity.AppendReply reply = replies.expectMessageClass(StreamEntity.Failed.class);
    assertThat(((StreamEntity.Failed) reply).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void undeliveredMessagesThatAreNotRequestsAreLeftAlone() {
    EngineNode node = fx.start("", clock);
    ActorTestKit kit = node.testKit;
    TestProbe<StreamEntity.TailReply> tails = kit.createTestProbe();
    ActorRef<Object> deadLetters = kit.system().deadLetters();

    deadLetters.tell(new StreamEntity.Passivate());
    deadLetters.tell(new StreamEntity.TailResult(io.millrace.core.record.StreamPosition.ZERO));
    deadLetters.tell(new StreamEntity.CheckTail(tails.getRef()));

    // Only the request is answered; the others changed nothing.
    tails.expectMessageClass(StreamEntity.Failed.class);
    tails.expectNoMessage(Duration.ofMillis(300));
    assertThat(node.dataPlane.metrics().undeliveredRequests.sum()).isEqualTo(1);
  }

  @Test
  void aSessionBatchSentAfterAnUnansweredOneThisIncarnationNeverSawIsRefusedAndEndsTheSession() {
    // A stream moved while batch 1 of a session was in flight: batch 1 went to the old owner (or
    // was dropped on the way), batch 2 reaches the new owner, which cannot know batch 1's outcome.
    EngineNode node = fx.start("", clock);
    ActorTestKit kit = node.testKit;
    String s = fx.stream("moved-mid-session");
    var entity =
        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(kit.system())
            .entityRefFor(StreamEntity.TYPE_KEY, fx.idOf(s));
    TestProbe<StreamEntity.AppendReply> replies = kit.createTestProbe();

    entity.tell(
        new StreamEntity.SessionAppend(PARAMS, input("b2"), "moved", true, replies.getRef()));
    entity.tell(
        new StreamEntity.SessionAppend(PARAMS, input("b3"), "moved", false, replies.getRef()));

    StreamEntity.Failed refused = replies.expectMessageClass(StreamEntity.Failed.class);
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.message()).contains("another owner");
    // The session has failed here: its later batches are not appended either.
    replies.expectMessageClass(StreamEntity.Failed.class);

    // A session whose earlier batches this incarnation took pipelines as before.
    entity.tell(
        new StreamEntity.SessionAppend(PARAMS, input("a1"), "kept", false, replies.getRef()));
    entity.tell(
        new StreamEntity.SessionAppend(PARAMS, input("a2"), "kept", true, replies.getRef()));
    replies.expectMessageClass(StreamEntity.AppendResult.class);
    replies.expectMessageClass(StreamEntity.AppendResult.class);

    assertThat(DataPlaneFixture.bodies(node.dataPlane, s)).containsExactly("a1", "a2");
  }
}
