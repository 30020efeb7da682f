package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.acked;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.bodies;
import static io.millrace.engine.DataPlaneFixture.body;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.readAll;
import static io.millrace.engine.DataPlaneFixture.rec;
import static io.millrace.engine.DataPlaneFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.engine.stream.StreamRecovery;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DataPlaneTest {
  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private DataPlane node() {
    return node("");
  }

  private DataPlane node(String overrides) {
    return fx.start(overrides, clock).dataPlane;
  }

  private String stream(String name) {
    return fx.stream(name);
  }

  private String stream(String name, TimestampingMode mode, boolean uncapped) {
    return fx.stream(name, new StreamConfig(null, null, new Timestamping(mode, uncapped), null));
  }

  @Test
  void appendedRecordsReadBackExactly() {
    DataPlane dp = node();
    // Client timestamps from 1970: under the default 7-day retention (measured on record
    // timestamps, ADR 0006) these records would be expired at once, so the stream keeps everything.
    String s = fx.stream("orders", new StreamConfig(null, RetentionPolicy.INFINITE, null, null));
    AppendAck ack =
        acked(dp.append(BASIN, s, input(rec(100L, "h1", "one"), rec(200L, "h2", "two"))));
    assertThat(ack.start()).isEqualTo(new StreamPosition(0, 100));
    assertThat(ack.end()).isEqualTo(new StreamPosition(2, 200));
    assertThat(ack.tail()).isEqualTo(new StreamPosition(2, 200));

    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0))));
    assertThat(read)
        .containsExactly(
            new SequencedRecord(
                0, 100, List.of(new Header("h1".getBytes(), "v".getBytes())), "one".getBytes()),
            new SequencedRecord(
                1, 200, List.of(new Header("h2".getBytes(), "v".getBytes())), "two".getBytes()));
    assertThat(((ReadOutcome.Batch) await(dp.read(BASIN, s, fromSeq(0)))).batch().tail()).isNull();
    assertThat(await(dp.checkTail(BASIN, s))).isEqualTo(new StreamPosition(2, 200));
  }

  @Test
  void pipelinedAppendsOfOneStreamAckInOrderWithDenseSeqNums() {
    DataPlane dp = node();
    String s = stream("pipelined");
    List<CompletionStage<AppendOutcome>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      futures.add(dp.append(BASIN, s, input(rec("a" + i), rec("b" + i))));
    }
    for (int i = 0; i < futures.size(); i++) {
      AppendAck ack = acked(futures.get(i));
      assertThat(ack.start().seqNum()).isEqualTo(2L * i);
      assertThat(ack.end().seqNum()).isEqualTo(2L * i + 2);
      assertThat(ack.tail().seqNum()).isGreaterThanOrEqualTo(ack.end().seqNum());
    }
    List<SequencedRecord> all = readAll(dp, s);
    assertThat(all).hasSize(200);
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).seqNum()).isEqualTo(i);
      assertThat(body(all.get(i))).isEqualTo((i % 2 == 0 ? "a" : "b") + (i / 2));
    }
  }

  @Test
  void aStaleMatchSeqNumIsRejectedOnlyAfterEarlierAppendsAreDurable() throws Exception {
    DataPlane dp = node();
    String s = stream("conditional");
    appended(dp, s, "first");
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> held = dp.append(BASIN, s, input(rec("held")));
    CompletionStage<AppendOutcome> stale =
        dp.append(BASIN, s, new AppendInput(List.of(rec("stale")), 1L, null));
    CompletionStage<AppendOutcome> fenced =
        dp.append(BASIN, s, new AppendInput(List.of(rec("fenced")), null, "nope"));
    // The chunk write of "held" is in flight, blocked by the gate.
    Awaitility.await().until(() -> gate.heldCount() == 1);
    // The entity answers a later request only after handling the three appends (one mailbox, in
    // order); a reply it had sent before "held" is durable would have completed its future first.
    await(dp.checkTail(BASIN, s));
    assertThat(stale.toCompletableFuture()).isNotDone();
    assertThat(fenced.toCompletableFuture()).isNotDone();
    assertThat(held.toCompletableFuture()).isNotDone();

    gate.open();
    assertThat(acked(held).start().seqNum()).isEqualTo(1);
    assertThat(await(stale)).isEqualTo(new AppendOutcome.SeqNumMismatch(2));
    assertThat(await(fenced)).isEqualTo(new AppendOutcome.FencingTokenMismatch(""));
    assertThat(await(dp.checkTail(BASIN, s)).seqNum()).isEqualTo(2);
  }

  @Test
  void aLaterChunkDurableFirstStillAcksInChunkOrder() throws Exception {
    DataPlane dp = node();
    String s = stream("chunk-order");
    String t = stream("chunk-order-other");
    String probe = stream("chunk-order-probe");
    String firstChunk = "/" + String.format("%020d", 0);
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.endsWith(firstChunk));
    long writesBefore = dp.metrics().chunkWrites.sum();
    CompletionStage<AppendOutcome> a = dp.append(BASIN, s, input(rec("in chunk 0")));
    Awaitility.await().until(() -> gate.heldCount() == 1);
    CompletionStage<AppendOutcome> b = dp.append(BASIN, s, input(rec("in chunk 1")));
    CompletionStage<AppendOutcome> c = dp.append(BASIN, t, input(rec("other stream")));
    String secondChunk = "/" + String.format("%020d", 1);
    Awaitility.await()
        .until(() -> fx.objects.keys().stream().anyMatch(k -> k.endsWith(secondChunk)));
    // The channel is handling the completed write of chunk 1 (it counts it there) ...
    Awaitility.await().until(() -> dp.metrics().chunkWrites.sum() > writesBefore);
    // ... and has finished once it wrote a chunk for an append sent after that (the node has one
    // channel per storage class, so the probe's stream shares it with s and t): whatever it told
    // the streams about chunk 1 is now in their mailboxes, ahead of the check-tail requests below,
    // which the entities answer after acting on it.
    dp.append(BASIN, probe, input(rec("probe")));
    String probeId = fx.idOf(probe);
    Awaitility.await().until(() -> inAStoredWalChunk(probeId));
    await(dp.checkTail(BASIN, s));
    await(dp.checkTail(BASIN, t));
    assertThat(b.toCompletableFuture()).isNotDone();
    assertThat(c.toCompletableFuture()).isNotDone();

    gate.open();
    assertThat(acked(a).start().seqNum()).isEqualTo(0);
    assertThat(acked(b).start().seqNum()).isEqualTo(1);
    assertThat(acked(c).start().seqNum()).isEqualTo(0);
    assertThat(bodies(dp, s)).containsExactly("in chunk 0", "in chunk 1");
  }

  /** Whether a WAL chunk in the object store holds records of stream {@code streamId}. */
  private boolean inAStoredWalChunk(String streamId) {
    return fx.objects.keys().stream()
        .filter(k -> k.startsWith("wal/"))
        .flatMap(k -> fx.objects.peek(k).stream())
        .anyMatch(o -> WalChunkCodec.decodeSection(o, streamId).isPresent());
  }

  @Test
  void timestampsFollowTheStreamsTimestampingMode() {
    DataPlane dp = node();
    clock.set(5_000);
    String arrival = stream("arrival", TimestampingMode.ARRIVAL, false);
    AppendAck a = acked(dp.append(BASIN, arrival, input(rec(10L, "h", "x"))));
    assertThat(a.start().timestamp()).isEqualTo(5_000);

    String prefer = stream("prefer", TimestampingMode.CLIENT_PREFER, false);
    AppendAck p =
        acked(
            dp.append(
                BASIN,
                prefer,
                input(rec(300L, "h", "a"), rec(200L, "h", "b"), rec(null, "h", "c"))));
    assertThat(records(await(dp.read(BASIN, prefer, fromSeq(0)))))
        .extracting(SequencedRecord::timestamp)
        .containsExactly(300L, 300L, 5_000L);
    assertThat(p.end().timestamp()).isEqualTo(5_000);
    AppendAck capped = acked(dp.append(BASIN, prefer, input(rec(9_000L, "h", "future"))));
    assertThat(capped.start().timestamp()).isEqualTo(5_000);

    String uncapped = stream("uncapped", TimestampingMode.CLIENT_PREFER, true);
    assertThat(acked(dp.append(BASIN, uncapped, input(rec(9_000L, "h", "f")))).start().timestamp())
        .isEqualTo(9_000);

    String require = stream("require", TimestampingMode.CLIENT_REQUIRE, false);
    S2Exception e =
        failure(dp.append(BASIN, require, input(rec(1L, "h", "a"), rec(null, "h", "b"))));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID);
    assertThat(acked(dp.append(BASIN, require, input(rec(7L, "h", "a")))).start())
        .isEqualTo(new StreamPosition(0, 7));
  }

  @Test
  void fenceAndTrimCommandsTakeEffect() {
    DataPlane dp = node();
    String s = stream("commands");
    acked(dp.append(BASIN, s, input(rec("0"), rec("1"), rec("2"), rec("3"))));
    acked(dp.append(BASIN, s, input(CommandRecords.fence("owner-7"))));
    assertThat(await(dp.append(BASIN, s, new AppendInput(List.of(rec("x")), null, "owner-1"))))
        .isEqualTo(new AppendOutcome.FencingTokenMismatch("owner-7"));
    acked(dp.append(BASIN, s, new AppendInput(List.of(CommandRecords.trim(2)), null, "owner-7")));
    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0))));
    assertThat(read.get(0).seqNum()).isEqualTo(2);
    assertThat(read).extracting(SequencedRecord::seqNum).containsExactly(2L, 3L, 4L, 5L);
    assertThat(await(dp.checkTail(BASIN, s)).seqNum()).isEqualTo(6);
  }

  @Test
  void aFailedChunkWriteFailsTheAppendRetryablyAndLaterAppendsContinueWithoutGap() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 1\n");
    String s = stream("failing");
    appended(dp, s, "before");
    InMemoryObjectStore.Fault fault =
        fx.objects.failPuts(
            k -> k.startsWith("wal/"),
            Integer.MAX_VALUE,
            () -> new ObjectStoreException("disk on fire"));
    S2Exception e = failure(dp.append(BASIN, s, input(rec("lost"))));
    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
    assertThat(e.code().retryable()).isTrue();
    fault.cancel();

    AppendAck after = appended(dp, s, "after");
    assertThat(after.start().seqNum()).isEqualTo(1);
    assertThat(bodies(dp, s)).containsExactly("before", "after");
  }

  @Test
  void aFailedBatchFailsEveryLaterInFlightBatchAndTheStreamContinuesAtItsDurableTail() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 0\n");
    String s = stream("cascade");
    appended(dp, s, "durable");
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.startsWith("wal/"));
    List<CompletionStage<AppendOutcome>> inFlight = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inFlight.add(dp.append(BASIN, s, input(rec("doomed" + i))));
    }
    Awaitility.await().until(() -> gate.heldCount() >= 1);
    gate.failHeld(() -> new ObjectStoreException("bucket unreachable"));
    gate.open();
    for (CompletionStage<AppendOutcome> f : inFlight) {
      assertThat(failure(f).code()).isEqualTo(ErrorCode.STORAGE);
    }
    AppendAck next = acked(dp.append(BASIN, s, new AppendInput(List.of(rec("next")), 1L, null)));
    assertThat(next.start().seqNum()).isEqualTo(1);
    assertThat(bodies(dp, s)).containsExactly("durable", "next");
  }

  @Test
  void aChunkWriteThatLandedButReportedAnErrorIsAckedOnce() {
    DataPlane dp = node();
    String s = stream("ambiguous");
    fx.objects.failPutsAfterWrite(
        k -> k.startsWith("wal/"), 1, () -> new ObjectStoreException("timed out after landing"));
    assertThat(appended(dp, s, "once").start().seqNum()).isEqualTo(0);
    assertThat(appended(dp, s, "twice").start().seqNum()).isEqualTo(1);
    assertThat(bodies(dp, s)).containsExactly("once", "twice");
  }

  @Test
  void appendsBeyondThePendingByteBoundAreRefusedRetryablyInLogOrder() {
    DataPlane dp = node("millrace.engine.channels.max-pending-bytes = 100\n");
    String s = stream("bounded");
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> first = dp.append(BASIN, s, input(rec("x".repeat(60))));
    Awaitility.await().until(() -> gate.heldCount() == 1);
    CompletionStage<AppendOutcome> second = dp.append(BASIN, s, input(rec("y".repeat(60))));
    await(dp.checkTail(BASIN, s));
    assertThat(second.toCompletableFuture()).isNotDone();
    gate.open();
    assertThat(acked(first).start().seqNum()).isEqualTo(0);
    S2Exception e = failure(second);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(appended(dp, s, "z").start().seqNum()).isEqualTo(1);
  }

  @Test
  void anIdleStreamPassivatesGracefullyAndReactivatesWithItsData() {
    DataPlane dp = node("millrace.engine.passivation-idle-time = 1 s\n");
    String s = stream("sleepy");
    acked(dp.append(BASIN, s, input(rec("a"), rec("b"))));
    String id =
        fx.resolver
            .resolve(BASIN, s, StreamResolver.Access.READ)
            .toCompletableFuture()
            .join()
            .streamId();
    assertThat(dp.metrics().snapshot()).containsEntry("millrace_stream_entities", 1L);
    clock.advance(5_000);
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              List<StreamletRecord> lets = await(fx.metadata.listStreamlets(id));
              return !lets.isEmpty() && lets.get(lets.size() - 1).sealedNextSeqNum() != null;
            });
    // The passivated entity is gone: an idle stream costs only its metadata rows.
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> dp.metrics().snapshot().get("millrace_stream_entities") == 0L);
    assertThat(await(fx.metadata.getStreamState(id)))
        .hasValueSatisfying(st -> assertThat(st.flushedNextSeqNum()).isEqualTo(2));
    assertThat(bodies(dp, s)).containsExactly("a", "b");
    assertThat(appended(dp, s, "c").start().seqNum()).isEqualTo(2);
  }

  @Test
  void everyAckedRecordSurvivesACrash() {
    DataPlane dp = node();
    String s = stream("durable");
    String t = stream("durable-too");
    List<SequencedRecord> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      clock.advance(1);
      AppendAck ack = acked(dp.append(BASIN, s, input(rec(null, "k" + i, "body" + i))));
      expected.add(
          new SequencedRecord(
              ack.start().seqNum(),
              ack.start().timestamp(),
              List.of(new Header(("k" + i).getBytes(), "v".getBytes())),
              ("body" + i).getBytes()));
    }
    acked(dp.append(BASIN, s, input(CommandRecords.fence("survivor"))));
    acked(dp.append(BASIN, t, input(rec("t0"), rec("t1"))));
    StreamPosition tail = await(dp.checkTail(BASIN, s));
    fx.nodes().get(0).crash();

    DataPlane after = node();
    List<SequencedRecord> read = readAll(after, s);
    assertThat(read.subList(0, 20)).containsExactlyElementsOf(expected);
    assertThat(await(after.checkTail(BASIN, s))).isEqualTo(tail);
    assertThat(await(after.append(BASIN, s, new AppendInput(List.of(rec("x")), null, "old"))))
        .isEqualTo(new AppendOutcome.FencingTokenMismatch("survivor"));
    assertThat(
            acked(after.append(BASIN, s, new AppendInput(List.of(rec("x")), null, "survivor")))
                .start()
                .seqNum())
        .isEqualTo(21);
    assertThat(bodies(after, t)).containsExactly("t0", "t1");
    fx.nodes().get(1).crash();

    DataPlane third = node();
    assertThat(readAll(third, s)).hasSize(22);
  }

  @Test
  void aGracefulStopSealsTheStreamletAndEverythingReadsBackAfterRestart() throws Exception {
    DataPlane dp = node();
    String s = stream("graceful");
    acked(dp.append(BASIN, s, input(rec("a"), rec("b"))));
    StreamRecord row =
        fx.resolver.resolve(BASIN, s, StreamResolver.Access.READ).toCompletableFuture().get();
    await(dp.stop());
    List<StreamletRecord> lets = await(fx.metadata.listStreamlets(row.streamId()));
    assertThat(lets).isNotEmpty();
    assertThat(lets.get(lets.size() - 1).sealedNextSeqNum()).isEqualTo(2L);
    assertThat(await(fx.metadata.listSegments(row.streamId()))).isNotEmpty();
    fx.nodes().get(0).crash();

    DataPlane after = node();
    assertThat(bodies(after, s)).containsExactly("a", "b");
    assertThat(appended(after, s, "c").start().seqNum()).isEqualTo(2);
  }

  @Test
  void aZombieChannelCannotAckAfterItsWalWasSealed() {
    DataPlane zombie = node();
    String s = stream("zombie");
    appended(zombie, s, "acked");
    AtomicBoolean heldOne = new AtomicBoolean();
    InMemoryObjectStore.Gate gate =
        fx.objects.blockPuts(k -> k.startsWith("wal/") && heldOne.compareAndSet(false, true));
    CompletionStage<AppendOutcome> late = zombie.append(BASIN, s, input(rec("late")));
    Awaitility.await().until(() -> gate.heldCount() == 1);

    // A new owner takes over while the old node still runs: it seals the old channel's WAL.
    DataPlane owner = node();
    assertThat(bodies(owner, s)).containsExactly("acked");

    gate.open();
    S2Exception e = failure(late);
    // The old owner cannot seal its streamlet (the new owner's activation claimed a higher epoch),
    // so it cannot tell whether the new owner trusted the chunk: indefinite, never an ack.
    assertThat(e.code()).isEqualTo(ErrorCode.OTHER);
    assertThat(bodies(owner, s)).containsExactly("acked");
    assertThat(appended(owner, s, "next").start().seqNum()).isEqualTo(1);
    assertThat(bodies(owner, s)).containsExactly("acked", "next");
  }

  @Test
  void readsSpanFlushedSegmentsAndRecordsStillInMemory() {
    DataPlane dp = node("millrace.engine.segments.flush-bytes = 100\n");
    String s = stream("segmented");
    for (int i = 0; i < 30; i++) {
      appended(dp, s, "record-" + i);
    }
    StreamRecord row =
        fx.resolver.resolve(BASIN, s, StreamResolver.Access.READ).toCompletableFuture().join();
    Awaitility.await()
        .until(
            () -> {
              List<io.millrace.metadata.SegmentRecord> segs =
                  await(fx.metadata.listSegments(row.streamId()));
              return segs.size() >= 2;
            });
    appended(dp, s, "record-30");
    List<String> expected =
        java.util.stream.IntStream.range(0, 31).mapToObj(i -> "record-" + i).toList();
    assertThat(bodies(dp, s)).containsExactlyElementsOf(expected);
    List<SequencedRecord> fromMiddle = records(await(dp.read(BASIN, s, fromSeq(7))));
    assertThat(fromMiddle.get(0).seqNum()).isEqualTo(7);
    assertThat(fromMiddle).hasSize(24);
    ReadRequest five = new ReadRequest(new ReadStart.SeqNum(3), false, 5L, null, null, null);
    assertThat(records(await(dp.read(BASIN, s, five))))
        .extracting(SequencedRecord::seqNum)
        .containsExactly(3L, 4L, 5L, 6L, 7L);
    ReadRequest byTime =
        new ReadRequest(new ReadStart.Timestamp(START_MS), false, 3L, null, null, null);
    assertThat(records(await(dp.read(BASIN, s, byTime))))
        .extracting(SequencedRecord::seqNum)
        .containsExactly(0L, 1L, 2L);
    fx.nodes().get(0).crash();

    DataPlane after = node("millrace.engine.segments.flush-bytes = 100\n");
    assertThat(bodies(after, s)).containsExactlyElementsOf(expected);
    assertThat(appended(after, s, "more").start().seqNum()).isEqualTo(31);
  }

  @Test
  void aLongPollAtTheTailCompletesWithTheNextAppend() {
    DataPlane dp = node();
    String s = stream("tailing");
    appended(dp, s, "old");
    CompletionStage<ReadOutcome> poll =
        dp.read(BASIN, s, new ReadRequest(null, false, null, null, null, 30));
    await(dp.checkTail(BASIN, s));
    assertThat(poll.toCompletableFuture()).isNotDone();
    acked(dp.append(BASIN, s, input(rec("new"), rec("newer"))));
    ReadBatch batch = ((ReadOutcome.Batch) await(poll)).batch();
    assertThat(batch.records()).extracting(DataPlaneFixture::body).containsExactly("new", "newer");
    assertThat(batch.tail()).isEqualTo(await(dp.checkTail(BASIN, s)));
  }

  @Test
  void aLongPollWithNothingNewEndsEmpty() {
    DataPlane dp = node();
    String s = stream("quiet");
    ReadOutcome o = await(dp.read(BASIN, s, new ReadRequest(null, false, null, null, null, 1)));
    assertThat(records(o)).isEmpty();
  }

  @Test
  void readsThatCannotBeSatisfiedAre416WithTheTail() {
    DataPlane dp = node();
    String s = stream("ranges");
    assertThat(await(dp.read(BASIN, s, fromSeq(0))))
        .isEqualTo(new ReadOutcome.RangeNotSatisfiable(StreamPosition.ZERO));
    AppendAck ack = appended(dp, s, "a");
    assertThat(await(dp.read(BASIN, s, fromSeq(5))))
        .isEqualTo(new ReadOutcome.RangeNotSatisfiable(ack.tail()));
    assertThat(await(dp.read(BASIN, s, fromSeq(1))))
        .isEqualTo(new ReadOutcome.RangeNotSatisfiable(ack.tail()));
    assertThat(
            await(
                dp.read(
                    BASIN,
                    s,
                    new ReadRequest(new ReadStart.SeqNum(9), true, null, null, null, null))))
        .isEqualTo(new ReadOutcome.RangeNotSatisfiable(ack.tail()));
    assertThat(await(dp.read(BASIN, s, new ReadRequest(null, false, null, null, null, null))))
        .isEqualTo(new ReadOutcome.RangeNotSatisfiable(ack.tail()));
    assertThat(records(await(dp.read(BASIN, s, fromSeq(0))))).hasSize(1);
  }

  @Test
  void aMissingStreamIsNotFound() {
    DataPlane dp = node();
    assertThat(failure(dp.checkTail(BASIN, "nope")).code()).isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(failure(dp.append(BASIN, "nope", input(rec("x")))).code())
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
  }

  @Test
  void eraseDeletesTheStreamsDataAndIsIdempotent() {
    DataPlane dp = node("millrace.engine.segments.flush-bytes = 100\n");
    String s = stream("doomed");
    for (int i = 0; i < 10; i++) {
      appended(dp, s, "r" + i);
    }
    String id =
        fx.resolver
            .resolve(BASIN, s, StreamResolver.Access.READ)
            .toCompletableFuture()
            .join()
            .streamId();
    Awaitility.await().until(() -> !await(fx.metadata.listSegments(id)).isEmpty());
    await(dp.erase(id));
    await(dp.erase(id));
    assertThat(await(fx.metadata.listSegments(id))).isEmpty();
    assertThat(await(fx.metadata.listStreamlets(id))).isEmpty();
    assertThat(await(fx.metadata.getStreamState(id)))
        .hasValueSatisfying(st -> assertThat(StreamRecovery.isTombstone(st)).isTrue());
    assertThat(fx.objects.keys()).noneMatch(k -> k.startsWith("segments/" + id + "/"));
  }

  @Test
  void anAppendThatOutlivesTheAskTimeoutFailsRetryably() {
    DataPlane dp = node("millrace.engine.ask-timeout = 1 s\n");
    String s = stream("slow");
    fx.objects.blockPuts(k -> k.startsWith("wal/"));
    S2Exception e = failure(dp.append(BASIN, s, input(rec("x"))));
    assertThat(e.code().retryable()).isTrue();
  }

  @Test
  void metricsCountAppendsAndChunkWrites() {
    DataPlane dp = node();
    String s = stream("metered");
    acked(dp.append(BASIN, s, input(rec("a"), rec("b"))));
    assertThat(dp.metrics().snapshot().get("millrace_appended_records_total")).isEqualTo(2L);
    assertThat(dp.metrics().snapshot().get("millrace_chunk_writes_total"))
        .isGreaterThanOrEqualTo(1L);
  }
}
