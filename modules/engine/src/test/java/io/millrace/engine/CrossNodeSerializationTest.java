package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.engine.read.ReadPlan;
import io.millrace.engine.stream.StreamEntity;
import io.millrace.metadata.SegmentRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every message that crosses nodes (sharded stream-entity commands and their replies) is serialized
 * with Jackson CBOR and survives the round trip. The data plane runs with {@code
 * pekko.actor.serialize-messages = on}, so every message it sends is serialized and deserialized
 * even on one node; only the node-local messages (channels, the entity's own pipe-to-self and timer
 * messages) are exempt.
 */
class CrossNodeSerializationTest {
  private static final String BASIN = "ser-basin";
  private static final String LOCAL_ONLY =
      "pekko.actor.no-serialization-verification-needed-class-prefix = [\n"
          + "  \"org.apache.pekko.\",\n"
          + "  \"io.millrace.engine.wal.Channel$\",\n"
          + "  \"io.millrace.engine.wal.ChannelSupervisor$\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$Loaded\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$LoadFailed\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$ChannelAnswer\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$ChannelStopped\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$ChannelAssigned\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$ChannelAssignFailed\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$StreamletCreated\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$StreamletCreateFailed\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$StreamletsReread\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$StreamletSealed\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$FlushDone\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$Tick\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$WaitExpired\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$TombstoneWritten\",\n"
          + "  \"io.millrace.engine.stream.StreamEntity$SubscriberGone\",\n"
          + "  \"io.millrace.engine.read.TailFeeds$\"\n"
          + "]\n"
          + "pekko.actor.serialize-messages = on\n";

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private EngineNode node;

  @BeforeEach
  void setUp() {
    node = fx.start(LOCAL_ONLY, new TestClock(START_MS));
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void appendReadAndCheckTailWorkWhenEveryMessageIsSerialized() {
    fx.resolver.create(BASIN, "s", StreamConfig.EMPTY);
    DataPlane dp = node.dataPlane;
    AppendInput input =
        new AppendInput(
            List.of(
                new AppendRecord(null, List.of(new Header(utf8("h"), utf8("v"))), utf8("one")),
                AppendRecord.of(new byte[] {0, (byte) 0xff, 7})),
            0L,
            null);

    AppendOutcome outcome = await(dp.append(BASIN, "s", input));
    assertThat(outcome).isInstanceOf(AppendOutcome.Appended.class);
    AppendAck ack = ((AppendOutcome.Appended) outcome).ack();
    assertThat(ack.start().seqNum()).isZero();
    assertThat(ack.end().seqNum()).isEqualTo(2);

    AppendOutcome mismatch =
        await(
            dp.append(BASIN, "s", new AppendInput(List.of(AppendRecord.of(utf8("x"))), 0L, null)));
    assertThat(mismatch).isEqualTo(new AppendOutcome.SeqNumMismatch(2));

    List<SequencedRecord> records = records(await(dp.read(BASIN, "s", fromSeq(0))));
    assertThat(records).extracting(SequencedRecord::seqNum).containsExactly(0L, 1L);
    assertThat(records.get(0).body()).isEqualTo(utf8("one"));
    assertThat(records.get(0).headers()).containsExactly(new Header(utf8("h"), utf8("v")));
    assertThat(records.get(1).body()).isEqualTo(new byte[] {0, (byte) 0xff, 7});

    ReadOutcome past = await(dp.read(BASIN, "s", fromSeq(9)));
    assertThat(past).isInstanceOf(ReadOutcome.RangeNotSatisfiable.class);

    StreamPosition tail = await(dp.checkTail(BASIN, "s"));
    assertThat(tail.seqNum()).isEqualTo(2);

    // Tailing: the node's feed subscribes and the entity pushes the next batch (serialized).
    await(dp.read(BASIN, "s", new ReadRequest(new ReadStart.SeqNum(2), false, 10L, null, null, 1)));
    Awaitility.await().until(() -> await(dp.tailFeedStats()).liveFeeds() == 1);
    var pushed =
        dp.read(BASIN, "s", new ReadRequest(new ReadStart.SeqNum(2), false, 10L, null, null, 30));
    Awaitility.await().until(() -> await(dp.tailFeedStats()).waiters() == 1);
    await(
        dp.append(
            BASIN, "s", new AppendInput(List.of(AppendRecord.of(utf8("three"))), null, null)));
    List<SequencedRecord> fed = records(await(pushed));
    assertThat(fed).extracting(SequencedRecord::seqNum).containsExactly(2L);
    assertThat(fed.get(0).body()).isEqualTo(utf8("three"));
  }

  @Test
  void everyCrossNodeMessageTypeRoundTripsThroughJacksonCbor() {
    SerializationTestKit kit = node.testKit.serializationTestKit();
    TestProbe<StreamEntity.AppendReply> appendReplies = node.testKit.createTestProbe();
    TestProbe<StreamEntity.ReadReply> readReplies = node.testKit.createTestProbe();
    TestProbe<StreamEntity.TailReply> tailReplies = node.testKit.createTestProbe();
    TestProbe<Done> done = node.testKit.createTestProbe();
    TestProbe<StreamEntity.FeedEvent> feed = node.testKit.createTestProbe();
    TestProbe<StreamEntity.Command> entity = node.testKit.createTestProbe();
    StreamEntity.StreamParams params =
        new StreamEntity.StreamParams(StorageClass.EXPRESS, TimestampingMode.CLIENT_PREFER, true);
    SequencedRecord rec =
        new SequencedRecord(5, 1234, List.of(new Header(utf8("k"), utf8("v"))), utf8("body"));
    StreamPosition pos = new StreamPosition(6, 1234);

    List<Object> messages =
        List.of(
            params,
            new StreamEntity.Append(
                params,
                new AppendInput(
                    List.of(new AppendRecord(99L, List.of(), new byte[] {1, 2})), 5L, "fence"),
                appendReplies.ref()),
            new StreamEntity.SessionAppend(
                params,
                new AppendInput(List.of(AppendRecord.of(utf8("s"))), null, null),
                "session-1",
                true,
                appendReplies.ref()),
            new StreamEntity.AppendResult(new AppendOutcome.Appended(new AppendAck(pos, pos, pos))),
            new StreamEntity.AppendResult(new AppendOutcome.FencingTokenMismatch("t")),
            new StreamEntity.Failed(ErrorCode.STORAGE, "failed"),
            new StreamEntity.Read(
                new ReadRequest(new ReadStart.Timestamp(77), true, 10L, 1000L, 2000L, 5),
                readReplies.ref()),
            new StreamEntity.Read(
                new ReadRequest(new ReadStart.TailOffset(3), false, null, null, null, null),
                readReplies.ref()),
            new StreamEntity.ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(rec), pos))),
            new StreamEntity.ReadResult(new ReadOutcome.RangeNotSatisfiable(pos)),
            new StreamEntity.ReadPlanned(
                new ReadPlan(
                    new ReadRules.CatchUp(0L, null, 0),
                    List.of(new SegmentRecord("id", 0, 4, 10, 20, "segments/id/0-4", 512)),
                    List.of(rec),
                    pos)),
            new StreamEntity.Failed(ErrorCode.UNAVAILABLE, "stream moved; retry"),
            new StreamEntity.CheckTail(tailReplies.ref()),
            new StreamEntity.TailResult(pos),
            new StreamEntity.Passivate(),
            new StreamEntity.Shutdown(done.ref()),
            new StreamEntity.Erase(done.ref()),
            new StreamEntity.Subscribe("stream-id", 3, feed.ref(), 32L << 20),
            new StreamEntity.Unsubscribe(feed.ref(), 3),
            new StreamEntity.FeedAck(feed.ref(), 3, 8L << 20),
            new StreamEntity.FeedStarted("stream-id", 3, entity.ref(), pos),
            new StreamEntity.FeedRecords("stream-id", 3, List.of(rec), pos),
            new StreamEntity.FeedEnded("stream-id", 3));

    for (Object m : messages) {
      assertThat(
              SerializationExtension.get(node.testKit.system().classicSystem())
                  .findSerializerFor(m))
          .as("serializer of %s", m.getClass().getSimpleName())
          .isInstanceOf(JacksonCborSerializer.class);
      kit.verifySerialization(m, true);
    }
  }

  @Test
  void repliesRoundTripAsTheirSealedInterfaces() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(
                node.testKit.system().classicSystem())
            .getOrCreate("jackson-cbor", java.util.Optional.empty());
    StreamPosition pos = new StreamPosition(6, 1234);
    List<StreamEntity.Reply> replies =
        List.of(
            new StreamEntity.AppendResult(new AppendOutcome.SeqNumMismatch(3)),
            new StreamEntity.ReadResult(new ReadOutcome.RangeNotSatisfiable(pos)),
            new StreamEntity.TailResult(pos),
            new StreamEntity.Failed(ErrorCode.STORAGE, "failed"));
    for (StreamEntity.Reply r : replies) {
      byte[] bytes = mapper.writeValueAsBytes(r);
      assertThat(mapper.readValue(bytes, StreamEntity.Reply.class)).isEqualTo(r);
    }
    byte[] failed = mapper.writeValueAsBytes(new StreamEntity.Failed(ErrorCode.OTHER, "x"));
    assertThat(mapper.readValue(failed, StreamEntity.AppendReply.class))
        .isEqualTo(new StreamEntity.Failed(ErrorCode.OTHER, "x"));
    assertThat(mapper.readValue(failed, StreamEntity.TailReply.class))
        .isEqualTo(new StreamEntity.Failed(ErrorCode.OTHER, "x"));
  }
}
