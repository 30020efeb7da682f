package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.ChannelLoad;
import io.millrace.metadata.StreamletRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streamlet decisions, without an actor (the opening and sealing states are not used here). */
class StreamletLifecycleTest {
  private final ChannelLoad load = new ChannelLoad();
  private final Channel.Registered reg = new Channel.Registered("ch-1", null, 10, load);
  private final StreamletLifecycle streamlets = new StreamletLifecycle(null, null, 4, 100);

  private static StreamletRecord row(long epoch, String channelId, long firstChunk) {
    return new StreamletRecord("s", epoch, channelId, firstChunk, null, null);
  }

  @Test
  void aWonCreateOpensTheNextEpochOnTheAssignedChannel() {
    assertThat(streamlets.nextEpoch()).isEqualTo(5);
    streamlets.assigned(reg);
    assertThat(load.streams()).isEqualTo(1);

    StreamletLifecycle.Creation c = streamlets.created(reg, 5, true);

    assertThat(c).isInstanceOf(StreamletLifecycle.Opened.class);
    assertThat(streamlets.epoch()).isEqualTo(5);
    assertThat(streamlets.isCurrent("ch-1")).isTrue();
    assertThat(streamlets.nextEpoch()).isEqualTo(6);
  }

  @Test
  void aLostCreateMeansAnotherActivationOwnsTheStream() {
    assertThat(streamlets.created(reg, 5, false))
        .isEqualTo(new StreamletLifecycle.Superseded("creating epoch 5"));
  }

  @Test
  void aCreateThatFailedButWroteOurRowIsOurs() {
    streamlets.assigned(reg);
    streamlets.createFailed(5);

    StreamletLifecycle.Creation c =
        streamlets.reread(reg, 5, List.of(row(4, "old", 0), row(5, "ch-1", 10)));

    assertThat(c).isInstanceOf(StreamletLifecycle.Opened.class);
    assertThat(streamlets.epoch()).isEqualTo(5);
  }

  @Test
  void aCreateThatFailedWhileAnotherOwnerHoldsTheEpochIsSuperseded() {
    streamlets.createFailed(5);

    StreamletLifecycle.Creation c = streamlets.reread(reg, 5, List.of(row(6, "theirs", 3)));

    assertThat(c)
        .isEqualTo(
            new StreamletLifecycle.Superseded("creating epoch 5 (another owner holds epoch 6)"));
  }

  @Test
  void aCreateThatFailedWithoutARowOpensNothingAndNeverReusesTheEpoch() {
    streamlets.assigned(reg);
    streamlets.createFailed(5);

    StreamletLifecycle.Creation c = streamlets.reread(reg, 5, null);

    assertThat(c).isInstanceOf(StreamletLifecycle.NotOpened.class);
    assertThat(load.streams()).isZero();
    assertThat(streamlets.current()).isNull();
    assertThat(streamlets.nextEpoch()).isEqualTo(6);
  }

  @Test
  void aStreamletIsSealedAtTheLastDurableChunkOrJustBeforeItsFirst() {
    streamlets.created(reg, 5, true);
    assertThat(streamlets.sealPoint(0)).isEqualTo(new StreamletLifecycle.SealPoint(5, 0, 9));

    streamlets.durable(12, 10);
    streamlets.durable(11, 10);

    assertThat(streamlets.sealPoint(40)).isEqualTo(new StreamletLifecycle.SealPoint(5, 40, 12));
  }

  @Test
  void aFlushRotatesTheStreamletOnlyOnceItHoldsTheRotationBytes() {
    streamlets.created(reg, 5, true);
    streamlets.durable(10, 60);
    streamlets.flushed();
    assertThat(streamlets.rotateWanted()).isFalse();

    streamlets.durable(11, 40);
    streamlets.flushed();
    assertThat(streamlets.rotateWanted()).isTrue();
  }

  @Test
  void theNextStreamletCountsItsBytesFromZero() {
    streamlets.created(reg, 5, true);
    streamlets.durable(10, 150);
    streamlets.rotationStarted();
    streamlets.release(false);
    streamlets.created(new Channel.Registered("ch-1", null, 11, load), 6, true);

    streamlets.durable(11, 99);
    streamlets.flushed();

    assertThat(streamlets.rotateWanted()).isFalse();
  }

  @Test
  void rotationBytesZeroRotatesAtEveryFlushAndNoneWithoutAStreamlet() {
    StreamletLifecycle everyFlush = new StreamletLifecycle(null, null, 4, 0);
    everyFlush.flushed();
    assertThat(everyFlush.rotateWanted()).isFalse();

    everyFlush.created(reg, 5, true);
    everyFlush.flushed();
    assertThat(everyFlush.rotateWanted()).isTrue();
  }
}
