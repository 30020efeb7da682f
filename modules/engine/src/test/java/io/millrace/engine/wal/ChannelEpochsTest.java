package io.millrace.engine.wal;

import static io.millrace.engine.wal.ChannelFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.record.SequencedRecord;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A channel whose open chunk gets two activations (epochs) of one stream. */
class ChannelEpochsTest {
  private final ChannelFixture fx = new ChannelFixture("channel-epochs-test");

  @AfterEach
  void tearDown() {
    fx.close();
  }

  @Test
  void aChunkWithTwoEpochsOfOneStreamFailsTheOlderEpochsAppendsAndKeepsTheChannelAlive() {
    ChannelLoad load = new ChannelLoad();
    ActorRef<Channel.Command> ch =
        fx.channel("millrace.engine.channels.flush-interval = 1 h\n", load);
    String id = fx.register(ch, "s");
    TestProbe<Channel.Result> old = fx.testKit.createTestProbe();
    TestProbe<Channel.Result> current = fx.testKit.createTestProbe();
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.equals(Channel.walKey(id, 0)));
    ch.tell(new Channel.Append("other", 1, 0, records(0, 1), 18, current.getRef()));
    Awaitility.await().until(() -> gate.heldCount() == 1);
    // The open chunk (1) gets the dead owner's append (epoch 3) and the new owner's (epoch 4).
    ch.tell(new Channel.Append("s", 3, 7, records(5, 1), 18, old.getRef()));
    ch.tell(new Channel.Append("s", 4, 0, records(5, 2), 36, current.getRef()));
    gate.open();

    Channel.Result failed = old.receiveMessage();
    assertThat(failed).isInstanceOf(Channel.Failed.class);
    assertThat(failed.batchId()).isEqualTo(7);
    assertThat(((Channel.Failed) failed).error().code()).isEqualTo(ErrorCode.STORAGE);
    assertThat(current.receiveMessage()).isEqualTo(new Channel.Durable(id, 0, 0));
    assertThat(current.receiveMessage()).isEqualTo(new Channel.Durable(id, 0, 1));
    WalObject chunk1 = WalChunkCodec.decode(fx.objects.peek(Channel.walKey(id, 1)).orElseThrow());
    assertThat(((WalObject.Chunk) chunk1).sections())
        .singleElement()
        .satisfies(
            sec -> {
              assertThat(sec.epoch()).isEqualTo(4);
              assertThat(sec.records()).extracting(SequencedRecord::seqNum).containsExactly(5L, 6L);
            });
    assertThat(load.pendingBytes()).isZero();
    // The channel still takes appends.
    ch.tell(new Channel.Append("s", 4, 1, records(7, 1), 18, current.getRef()));
    assertThat(current.receiveMessage()).isEqualTo(new Channel.Durable(id, 1, 2));
  }

  @Test
  void aRegistrationNobodyTakesUpDoesNotCountAStreamOnTheChannelsLoad() {
    ChannelLoad load = new ChannelLoad();
    ActorRef<Channel.Command> ch = fx.channel("", load);
    // The answer goes to an asker that already timed out: only a stream entity that receives the
    // answer counts itself (and releases the count on every failure path).
    TestProbe<Channel.Registered> lateAsker = fx.testKit.createTestProbe();
    ch.tell(new Channel.Register("s", lateAsker.getRef()));
    Channel.Registered answer = lateAsker.receiveMessage();
    assertThat(answer.load()).isSameAs(load);
    assertThat(load.streams()).isZero();
  }
}
