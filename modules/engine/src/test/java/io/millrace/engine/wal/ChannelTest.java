package io.millrace.engine.wal;

import static io.millrace.engine.wal.ChannelFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChannelTest {
  private static final String NO_RETRIES = "millrace.engine.channels.write-retries = 0\n";

  private final ChannelFixture fx = new ChannelFixture("channel-test");

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private ActorRef<Channel.Command> channel(String overrides) {
    return fx.channel(overrides, new ChannelLoad());
  }

  private String register(ActorRef<Channel.Command> ch) {
    return fx.register(ch, "s");
  }

  /** Appends stream a's first record (batch 0, 18 bytes), answered to {@code probe}. */
  private static void appendFirstRecord(
      ActorRef<Channel.Command> ch, TestProbe<Channel.Result> probe) {
    ch.tell(new Channel.Append("a", 1, 0, records(0, 1), 18, probe.getRef()));
  }

  /** Appends stream a's first record and waits until the write of chunk 0 is held at the gate. */
  private InMemoryObjectStore.Gate appendFirstRecordAndHoldItsWrite(
      ActorRef<Channel.Command> ch, TestProbe<Channel.Result> probe) {
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.endsWith("00000000000000000000"));
    appendFirstRecord(ch, probe);
    Awaitility.await().until(() -> gate.heldCount() == 1);
    return gate;
  }

  private static Predicate<String> walKeyIs(String channelId, long chunkSeq) {
    return k -> k.equals(Channel.walKey(channelId, chunkSeq));
  }

  /** The WAL object at {@code chunkSeq} of the channel, decoded. */
  private WalObject walObject(String channelId, long chunkSeq) {
    return WalChunkCodec.decode(fx.objects.peek(Channel.walKey(channelId, chunkSeq)).orElseThrow());
  }

  @Test
  void appendsArrivingWhileAChunkWriteIsInFlightShareTheNextChunk() {
    ActorRef<Channel.Command> ch = channel("millrace.engine.channels.flush-interval = 1 h\n");
    String id = register(ch);
    TestProbe<Channel.Result> probe = fx.testKit.createTestProbe();
    InMemoryObjectStore.Gate gate = appendFirstRecordAndHoldItsWrite(ch, probe);
    ch.tell(new Channel.Append("b", 1, 1, records(0, 2), 36, probe.getRef()));
    ch.tell(new Channel.Append("c", 1, 2, records(0, 3), 54, probe.getRef()));
    ch.tell(new Channel.Append("a", 1, 3, records(1, 1), 18, probe.getRef()));
    probe.expectNoMessage();
    gate.open();

    assertThat(probe.receiveMessage()).isEqualTo(new Channel.Durable(id, 0, 0));
    for (int batch = 1; batch <= 3; batch++) {
      assertThat(probe.receiveMessage()).isEqualTo(new Channel.Durable(id, batch, 1));
    }
    WalObject chunk1 = walObject(id, 1);
    assertThat(((WalObject.Chunk) chunk1).sections())
        .extracting(StreamSection::streamId)
        .containsExactly("b", "c", "a");
    assertThat(((WalObject.Chunk) chunk1).sections().get(2).records())
        .extracting(SequencedRecord::seqNum)
        .containsExactly(1L);
  }

  @Test
  void aFullChunkIsWrittenWithoutWaitingForTheWriteInFlight() {
    ActorRef<Channel.Command> ch =
        channel(
            "millrace.engine.channels.flush-interval = 1 h\n"
                + "millrace.engine.channels.chunk-max-bytes = 50\n");
    String id = register(ch);
    TestProbe<Channel.Result> probe = fx.testKit.createTestProbe();
    InMemoryObjectStore.Gate gate = appendFirstRecordAndHoldItsWrite(ch, probe);
    ch.tell(new Channel.Append("a", 1, 1, records(1, 3), 54, probe.getRef()));
    Awaitility.await().until(() -> fx.objects.peek(Channel.walKey(id, 1)).isPresent());
    probe.expectNoMessage();
    gate.open();
    assertThat(probe.receiveMessage()).isEqualTo(new Channel.Durable(id, 0, 0));
    assertThat(probe.receiveMessage()).isEqualTo(new Channel.Durable(id, 1, 1));
  }

  @Test
  void aChannelThatGivesUpAcknowledgesAChunkThatLandedAndSealsItsWalAfterIt() {
    ActorRef<Channel.Command> ch = channel(NO_RETRIES);
    String id = register(ch);
    TestProbe<Channel.Result> probe = fx.testKit.createTestProbe();
    fx.objects.failPutsAfterWrite(
        walKeyIs(id, 0), 1, () -> new ObjectStoreException("timed out, but landed"));
    appendFirstRecord(ch, probe);
    assertThat(probe.receiveMessage()).isEqualTo(new Channel.Durable(id, 0, 0));
    probe.expectTerminated(ch);
    assertThat(walObject(id, 1)).isEqualTo(new WalObject.Seal(id, 1));
  }

  @Test
  void aChannelThatGivesUpSealsTheChunkThatFailedSoItCanNeverAppear() {
    ActorRef<Channel.Command> ch = channel(NO_RETRIES);
    String id = register(ch);
    TestProbe<Channel.Result> probe = fx.testKit.createTestProbe();
    fx.objects.failPuts(walKeyIs(id, 0), 1, () -> new ObjectStoreException("refused"));
    appendFirstRecord(ch, probe);
    Channel.Result r = probe.receiveMessage();
    assertThat(r).isInstanceOf(Channel.Failed.class);
    probe.expectTerminated(ch);
    assertThat(walObject(id, 0)).isEqualTo(new WalObject.Seal(id, 0));
  }

  @Test
  void aSealedWalKillsTheIncarnationAndFailsEveryUnackedAppend() {
    ActorRef<Channel.Command> ch = channel("");
    String id = register(ch);
    TestProbe<Channel.Result> probe = fx.testKit.createTestProbe();
    fx.objects.seed(Channel.walKey(id, 0), WalChunkCodec.encodeSeal(id, 0));
    appendFirstRecord(ch, probe);
    Channel.Result r = probe.receiveMessage();
    assertThat(r).isInstanceOf(Channel.Failed.class);
    assertThat(((Channel.Failed) r).error().code().retryable()).isTrue();
    probe.expectTerminated(ch);
  }
}
