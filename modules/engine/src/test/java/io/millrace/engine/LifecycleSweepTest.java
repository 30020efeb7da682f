package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.body;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.ReadOutcome;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.control.ControlPlane;
import io.millrace.engine.lifecycle.ChunkCollector;
import io.millrace.engine.lifecycle.LifecycleSettings;
import io.millrace.engine.lifecycle.LifecycleSweep;
import io.millrace.engine.lifecycle.LifecycleSweeper;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.SegmentRecord;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lifecycle sweep (issue 9) over the in-memory object store, in-memory SQLite and a test clock:
 * retention, trim deletion, delete-on-empty and WAL chunk GC, each seen the way a client and an
 * operator would see them (reads, the objects left in the store, the segment index), including
 * sweeps cut off between any two steps and finished by the next one.
 */
class LifecycleSweepTest {
  /** Every durable append is flushed into its own segment at once. */
  private static final String FLUSH_EVERY_APPEND = "millrace.engine.segments.flush-bytes = 1\n";

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);
  private final ControlPlane control = new ControlPlane(fx.metadata, clock);
  private final List<EngineNode> nodes = new ArrayList<>();
  private EngineNode node;

  @AfterEach
  void close() {
    control.close();
    for (EngineNode n : nodes) {
      n.close();
    }
    fx.close();
  }

  private DataPlane start(String overrides) {
    node = new EngineNode(overrides, fx.objects, fx.metadata, control, clock);
    nodes.add(node);
    return node.dataPlane;
  }

  private LifecycleSweep sweep(DataPlane dp, int maxDeletions) {
    return LifecycleSweeper.sweep(
        fx.objects,
        fx.metadata,
        clock,
        dp::tailOf,
        control::deleteIfUnchanged,
        LifecycleSweeper.liveness(dp.node(), dp.startedAt(), () -> Set.of(dp.node())),
        dp.metrics(),
        new LifecycleSettings(true, Duration.ofSeconds(1), maxDeletions));
  }

  private LifecycleSweep.Summary sweepOnce(DataPlane dp) {
    return await(sweep(dp, 10_000).run());
  }

  private String stream(String name, StreamConfig config) {
    await(control.ensureBasin(BASIN, BasinConfig.DEFAULT));
    await(control.createStream(BASIN, name, config, null));
    return name;
  }

  private static StreamConfig retention(long secs) {
    return new StreamConfig(null, RetentionPolicy.age(secs), null, null);
  }

  private String idOf(String name) {
    return await(fx.metadata.getStream(BASIN, name)).orElseThrow().streamId();
  }

  private void append(DataPlane dp, String stream, AppendRecord... records) {
    DataPlaneFixture.acked(dp.append(BASIN, stream, new AppendInput(List.of(records), null, null)));
  }

  private void append(DataPlane dp, String stream, String body) {
    append(dp, stream, DataPlaneFixture.rec(body));
  }

  /** Appends one record and waits until it is in a segment of its own. */
  private void appendFlushed(DataPlane dp, String stream, String body) {
    long seq = await(dp.checkTail(BASIN, stream)).seqNum();
    append(dp, stream, body);
    flushedThrough(stream, seq);
  }

  /** Waits until the stream's records up to {@code lastSeq} are in segments. */
  private List<SegmentRecord> flushedThrough(String stream, long lastSeq) {
    String id = idOf(stream);
    Awaitility.await()
        .until(
            () -> {
              List<SegmentRecord> segs = await(fx.metadata.listSegments(id));
              return !segs.isEmpty() && segs.get(segs.size() - 1).lastSeqNum() >= lastSeq;
            });
    return await(fx.metadata.listSegments(id));
  }

  private List<String> segmentObjects(String stream) {
    String prefix = "segments/" + idOf(stream) + "/";
    return fx.objects.keys().stream().filter(k -> k.startsWith(prefix)).toList();
  }

  private List<String> bodiesFrom(DataPlane dp, String stream, long seq) {
    ReadOutcome o = await(dp.read(BASIN, stream, fromSeq(seq)));
    return records(o).stream().map(DataPlaneFixture::body).toList();
  }

  // ---------------------------------------------------------------- retention

  @Test
  void expiredRecordsBecomeUnreadableAndTheirSegmentsAreDeleted() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("retained", retention(10));
    appendFlushed(dp, s, "old-1");
    appendFlushed(dp, s, "old-2");
    clock.advance(5_000);
    appendFlushed(dp, s, "young");
    List<SegmentRecord> before = flushedThrough(s, 2);
    assertThat(before).hasSize(3);

    clock.advance(6_000); // the first two are 11 s old, the last 6 s
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("young");

    LifecycleSweep.Summary summary = sweepOnce(dp);

    assertThat(summary.objectsDeleted()).isGreaterThanOrEqualTo(2);
    assertThat(await(fx.metadata.listSegments(idOf(s))))
        .extracting(SegmentRecord::firstSeqNum)
        .containsExactly(2L);
    assertThat(segmentObjects(s)).containsExactly(before.get(2).objectKey());
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("young");
    assertThat(dp.metrics().snapshot())
        .containsEntry("millrace_lifecycle_sweeps_total", 1L)
        .hasEntrySatisfying(
            "millrace_lifecycle_deleted_objects_total",
            v -> assertThat(v).isGreaterThanOrEqualTo(2));

    clock.advance(10_000); // everything expired
    ReadOutcome all = await(dp.read(BASIN, s, fromSeq(0)));
    assertThat(all).isInstanceOf(ReadOutcome.RangeNotSatisfiable.class);
    sweepOnce(dp);
    assertThat(await(fx.metadata.listSegments(idOf(s)))).isEmpty();
    assertThat(segmentObjects(s)).isEmpty();
    // The tail stays where it was: new appends continue the numbering.
    append(dp, s, "new");
    assertThat(records(await(dp.read(BASIN, s, fromSeq(0)))))
        .extracting(SequencedRecord::seqNum)
        .containsExactly(3L);
  }

  @Test
  void infiniteRetentionKeepsEverything() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("forever", new StreamConfig(null, RetentionPolicy.INFINITE, null, null));
    append(dp, s, "a");
    flushedThrough(s, 0);
    clock.advance(Duration.ofDays(3650).toMillis());

    sweepOnce(dp);

    assertThat(segmentObjects(s)).hasSize(1);
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("a");
  }

  @Test
  void reconfiguringToAShorterRetentionAppliesToExistingDataButNeverInsideTheNewWindow() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("shrinking", retention(3600));
    appendFlushed(dp, s, "an-hour-ago");
    clock.advance(3_000_000);
    appendFlushed(dp, s, "recent");
    flushedThrough(s, 1);
    clock.advance(1_000);
    sweepOnce(dp);
    assertThat(segmentObjects(s)).hasSize(2);

    await(
        control.reconfigureStream(
            BASIN,
            s,
            new StreamReconfiguration(
                Patch.keep(), Patch.set(RetentionPolicy.age(60)), Patch.keep(), Patch.keep())));

    assertThat(bodiesFrom(dp, s, 0)).containsExactly("recent");
    sweepOnce(dp);
    assertThat(segmentObjects(s)).hasSize(1);
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("recent");
  }

  @Test
  void aRetentionLengthenedAfterTheSweepListedTheStreamIsHonouredByThatSweep() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("lengthened", retention(10));
    appendFlushed(dp, s, "first");
    appendFlushed(dp, s, "second");
    clock.advance(11_000); // both expired under 10 s
    FaultyMetadata faulty = new FaultyMetadata(fx.metadata);
    // The sweep lists the streams (with 10 s); the retention is then lengthened to a day, before
    // the sweep deletes anything.
    boolean[] reconfigured = {false};
    faulty.on(
        "listStreams",
        inv ->
            ((CompletionStage<?>) inv.proceed().get())
                .thenCompose(
                    page -> {
                      if (reconfigured[0]) {
                        return CompletableFuture.completedFuture(page);
                      }
                      reconfigured[0] = true;
                      return control
                          .reconfigureStream(
                              BASIN,
                              s,
                              new StreamReconfiguration(
                                  Patch.keep(),
                                  Patch.set(RetentionPolicy.age(86_400)),
                                  Patch.keep(),
                                  Patch.keep()))
                          .thenApply(x -> page);
                    }));
    LifecycleSweep racing =
        LifecycleSweeper.sweep(
            fx.objects,
            faulty.store,
            clock,
            dp::tailOf,
            control::deleteIfUnchanged,
            ch -> false,
            dp.metrics(),
            new LifecycleSettings(true, Duration.ofSeconds(1), 10_000));

    await(racing.run());

    assertThat(reconfigured[0]).isTrue();
    assertThat(segmentObjects(s)).hasSize(2);
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("first", "second");
  }

  // ---------------------------------------------------------------- trim

  @Test
  void trimDeletesWholeSegmentsBelowTheTrimPointAndKeepsPartlyCoveredOnes() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("trimmed", StreamConfig.EMPTY);
    append(dp, s, DataPlaneFixture.rec("a"), DataPlaneFixture.rec("b")); // segment 0-1
    flushedThrough(s, 1);
    append(dp, s, DataPlaneFixture.rec("c"), DataPlaneFixture.rec("d")); // segment 2-3
    flushedThrough(s, 3);
    append(dp, s, CommandRecords.trim(3)); // seq 4: trims 0..2
    List<SegmentRecord> segs = flushedThrough(s, 4);
    assertThat(segs).extracting(SegmentRecord::firstSeqNum).containsExactly(0L, 2L, 4L);

    sweepOnce(dp);

    assertThat(await(fx.metadata.listSegments(idOf(s))))
        .extracting(SegmentRecord::firstSeqNum)
        .containsExactly(2L, 4L);
    assertThat(segmentObjects(s)).doesNotContain(segs.get(0).objectKey());
    assertThat(segmentObjects(s)).contains(segs.get(1).objectKey(), segs.get(2).objectKey());
    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0))));
    assertThat(read.get(0).seqNum()).isEqualTo(3);
    assertThat(body(read.get(0))).isEqualTo("d");
  }

  // ---------------------------------------------------------------- delete-on-empty

  @Test
  void anEmptyStreamIsDeletedAfterItsMinAgeAndItsNameCanBeReused() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    control.startBackgroundDeletion(dp, Duration.ofMinutes(10));
    StreamConfig config =
        new StreamConfig(null, RetentionPolicy.age(10), null, new DeleteOnEmpty(30L));
    String s = stream("ephemeral", config);
    String kept = stream("kept", new StreamConfig(null, RetentionPolicy.age(10), null, null));
    String oldId = idOf(s);
    append(dp, s, "soon-expired");
    append(dp, kept, "also-expired");
    flushedThrough(s, 0);
    flushedThrough(kept, 0);

    clock.advance(20_000); // expired, but empty for only 10 s
    sweepOnce(dp);
    assertThat(await(fx.metadata.getStream(BASIN, s)))
        .get()
        .extracting(r -> r.deletedAt())
        .isNull();

    clock.advance(25_000); // empty for 35 s, created 45 s ago
    sweepOnce(dp);

    Awaitility.await().until(() -> await(fx.metadata.getStream(BASIN, s)).isEmpty());
    assertThat(await(fx.metadata.getStream(BASIN, kept))).isPresent();
    assertThat(dp.metrics().snapshot())
        .containsEntry("millrace_lifecycle_empty_streams_deleted_total", 1L);
    stream(s, config);
    assertThat(idOf(s)).isNotEqualTo(oldId);
    assertThat(await(dp.checkTail(BASIN, s)).seqNum()).isZero();
  }

  @Test
  void aStreamWithRecordsIsNotDeletedOnEmpty() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s =
        stream(
            "busy", new StreamConfig(null, RetentionPolicy.age(3600), null, new DeleteOnEmpty(1L)));
    append(dp, s, "alive");
    flushedThrough(s, 0);
    clock.advance(60_000);

    sweepOnce(dp);

    assertThat(await(fx.metadata.getStream(BASIN, s)))
        .get()
        .extracting(r -> r.deletedAt())
        .isNull();
    assertThat(bodiesFrom(dp, s, 0)).containsExactly("alive");
  }

  // ---------------------------------------------------------------- chunk GC

  private List<String> walObjects() {
    return fx.objects.keys().stream().filter(k -> k.startsWith("wal/")).toList();
  }

  private static AppendRecord big(String body) {
    byte[] b = new byte[2048];
    byte[] tag = body.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(tag, 0, b, 0, tag.length);
    return new AppendRecord(null, List.of(), b);
  }

  /** Appends to both streams concurrently, so that chunks hold sections of both. */
  private void interleaved(DataPlane dp, String flushed, String unflushed, int rounds) {
    List<CompletionStage<?>> all = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      all.add(dp.append(BASIN, flushed, new AppendInput(List.of(big("f" + i)), null, null)));
      all.add(dp.append(BASIN, unflushed, DataPlaneFixture.input("u" + i)));
    }
    CompletableFuture.allOf(
            all.stream()
                .map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new))
        .join();
  }

  @Test
  void aChunkIsCollectedOnlyOnceEveryStreamSectionInItIsFlushed() {
    // Big records of one stream are flushed at once; small ones of the other wait for the age
    // bound.
    DataPlane dp =
        start(
            "millrace.engine.segments.flush-bytes = 1 KiB\n"
                + "millrace.engine.segments.flush-age = 60 s\n");
    String f = stream("flushed-often", StreamConfig.EMPTY);
    String u = stream("flushed-late", StreamConfig.EMPTY);
    interleaved(dp, f, u, 20);
    // A flush in flight may have left the last records of f unflushed: append until one is not.
    Awaitility.await()
        .until(
            () -> {
              append(dp, f, big("more"));
              long tail = await(dp.checkTail(BASIN, f)).seqNum();
              List<SegmentRecord> segs = await(fx.metadata.listSegments(idOf(f)));
              return !segs.isEmpty() && segs.get(segs.size() - 1).lastSeqNum() == tail - 1;
            });
    List<String> chunksBefore = walObjects();
    List<String> holdingU = new ArrayList<>();
    for (String key : chunksBefore) {
      byte[] data = fx.objects.peek(key).orElseThrow();
      if (WalChunkCodec.decodeSection(data, idOf(u)).isPresent()) {
        holdingU.add(key);
      }
    }
    assertThat(holdingU).isNotEmpty();

    sweepOnce(dp);

    // Every chunk with a section of the unflushed stream is still there.
    assertThat(walObjects()).containsAll(holdingU);

    // Once the other stream is flushed too (age bound), the chunks go.
    clock.advance(61_000);
    flushedThrough(u, 19);
    sweepOnce(dp);
    assertThat(walObjects()).doesNotContainAnyElementsOf(chunksBefore);
    ChannelRecord ch =
        await(fx.metadata.listChannels()).stream()
            .filter(c -> c.collectedThrough() != null)
            .findFirst()
            .orElseThrow();
    assertThat(ch.collectedThrough()).isGreaterThanOrEqualTo(0L);

    // Nothing acknowledged became unreadable, also after a crash and recovery.
    node.crash();
    DataPlane next = start("");
    assertThat(DataPlaneFixture.readAllBodiesOnceAnswering(next, u)).hasSize(20);
    assertThat(DataPlaneFixture.bodies(next, f)).hasSizeGreaterThan(20);
  }

  @Test
  void aCrashedOwnersUnflushedRecordsSurviveCollectionOfTheChunksAroundThem() {
    DataPlane dp = start("millrace.engine.segments.flush-age = 600 s\n");
    String a = stream("crashed-a", StreamConfig.EMPTY);
    String b = stream("crashed-b", StreamConfig.EMPTY);
    append(dp, a, "a0");
    append(dp, b, "b0");
    append(dp, a, "a1");
    node.crash(); // nothing flushed, streamlets unsealed

    DataPlane next = start("millrace.engine.segments.flush-age = 600 s\n");
    sweepOnce(next);
    assertThat(DataPlaneFixture.readAllBodiesOnceAnswering(next, a)).containsExactly("a0", "a1");
    assertThat(DataPlaneFixture.bodies(next, b)).containsExactly("b0");
  }

  @Test
  void deadChannelsAreSealedAndRemovedOnceCollected() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("moving", StreamConfig.EMPTY);
    append(dp, s, "before-restart");
    flushedThrough(s, 0);
    List<String> oldChannels =
        await(fx.metadata.listChannels()).stream().map(ChannelRecord::channelId).toList();
    await(dp.stop());
    node.close();

    DataPlane next = start(FLUSH_EVERY_APPEND);
    sweepOnce(next);

    assertThat(await(fx.metadata.listChannels()))
        .extracting(ChannelRecord::channelId)
        .doesNotContainAnyElementsOf(oldChannels);
    for (String id : oldChannels) {
      assertThat(walObjects()).noneMatch(k -> k.startsWith("wal/" + id + "/"));
    }
    assertThat(DataPlaneFixture.bodies(next, s)).containsExactly("before-restart");
  }

  // ---------------------------------------------------------------- crashes mid-sweep

  @Test
  void aSweepCutOffAtAnyDeletionIsFinishedByTheNextOne() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("interrupted", retention(10));
    for (int i = 0; i < 3; i++) {
      appendFlushed(dp, s, "r" + i);
    }
    flushedThrough(s, 2);
    clock.advance(11_000);
    append(dp, s, "young");
    flushedThrough(s, 3);
    int deletes = (int) fx.objects.deleteCount();
    // A clean reference run is not possible on the same store; count the deletions one sweep makes.
    for (int failAt = 0; failAt < 6; failAt++) {
      ObjectStoreException boom = new ObjectStoreException("injected delete failure", null);
      int skip = failAt;
      int[] seen = {0};
      fx.objects.failDeletes(key -> seen[0]++ == skip, 1, () -> boom);
      sweepOnce(dp); // stops that step; the sweep goes on with the next stream or channel
      fx.objects.clearFaults();
      assertThat(bodiesFrom(dp, s, 0)).containsExactly("young");
    }
    sweepOnce(dp);
    sweepOnce(dp);
    assertThat(await(fx.metadata.listSegments(idOf(s))))
        .extracting(SegmentRecord::firstSeqNum)
        .containsExactly(3L);
    assertThat(segmentObjects(s)).hasSize(1);
    assertThat(fx.objects.deleteCount()).isGreaterThan(deletes);
  }

  @Test
  void aCrashAfterTheWatermarkIsRaisedLeavesNothingUnreadableAndTheNextSweepDeletesTheLeftovers() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("watermarked", StreamConfig.EMPTY);
    for (int i = 0; i < 5; i++) {
      appendFlushed(dp, s, "r" + i);
    }
    List<String> chunks = walObjects();
    assertThat(chunks).isNotEmpty();
    // Every chunk delete fails: the watermark is raised, the chunks stay (a crash mid-pass).
    fx.objects.failDeletes(
        key -> key.startsWith("wal/"), 1_000, () -> new ObjectStoreException("down", null));
    sweepOnce(dp);
    fx.objects.clearFaults();
    assertThat(walObjects()).containsAll(chunks);
    assertThat(await(fx.metadata.listChannels())).anyMatch(c -> c.collectedThrough() != null);

    node.crash();
    DataPlane next = start(FLUSH_EVERY_APPEND);
    assertThat(DataPlaneFixture.readAllBodiesOnceAnswering(next, s))
        .containsExactly("r0", "r1", "r2", "r3", "r4");
    append(next, s, "after");

    sweepOnce(next);

    assertThat(walObjects()).doesNotContainAnyElementsOf(chunks);
    assertThat(DataPlaneFixture.bodies(next, s))
        .containsExactly("r0", "r1", "r2", "r3", "r4", "after");
  }

  @Test
  void aFailedWatermarkWriteDeletesNoChunk() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    FaultyMetadata faulty = new FaultyMetadata(fx.metadata);
    faulty.fail("raiseCollectedThrough", new IllegalStateException("metadata down"));
    String s = stream("unwritten-watermark", StreamConfig.EMPTY);
    append(dp, s, "x");
    flushedThrough(s, 0);
    List<String> chunks = walObjects();
    LifecycleSweep faultySweep =
        LifecycleSweeper.sweep(
            fx.objects,
            faulty.store,
            clock,
            dp::tailOf,
            control::deleteIfUnchanged,
            ch -> false,
            dp.metrics(),
            new LifecycleSettings(true, Duration.ofSeconds(1), 100));

    LifecycleSweep.Summary summary = await(faultySweep.run());

    assertThat(summary.failures()).isPositive();
    assertThat(walObjects()).containsAll(chunks);
    sweepOnce(dp);
    assertThat(walObjects()).doesNotContainAnyElementsOf(chunks);
  }

  @ParameterizedTest
  @ValueSource(strings = {"raiseCollectedThrough", "sealChannel", "deleteChannel", "deleteSegment"})
  void aSweepWhoseMetadataWriteFailsIsFinishedByTheNextOne(String failing) {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("metadata-fault", retention(10));
    appendFlushed(dp, s, "expiring");
    clock.advance(5_000);
    List<String> oldChannels =
        await(fx.metadata.listChannels()).stream().map(ChannelRecord::channelId).toList();
    await(dp.stop());
    node.close();
    DataPlane next = start(FLUSH_EVERY_APPEND);
    appendFlushed(next, s, "kept");
    clock.advance(6_000);
    FaultyMetadata faulty = new FaultyMetadata(fx.metadata);
    faulty.fail(failing, new IllegalStateException("metadata down"));
    LifecycleSweep faultySweep =
        LifecycleSweeper.sweep(
            fx.objects,
            faulty.store,
            clock,
            next::tailOf,
            control::deleteIfUnchanged,
            LifecycleSweeper.liveness(next.node(), next.startedAt(), () -> Set.of(next.node())),
            next.metrics(),
            new LifecycleSettings(true, Duration.ofSeconds(1), 10_000));
    await(faultySweep.run()); // the first record is expired, the second is not

    sweepOnce(next);

    assertThat(await(fx.metadata.listChannels()))
        .extracting(ChannelRecord::channelId)
        .doesNotContainAnyElementsOf(oldChannels);
    for (String id : oldChannels) {
      assertThat(walObjects()).noneMatch(k -> k.startsWith("wal/" + id + "/"));
    }
    assertThat(await(fx.metadata.listSegments(idOf(s))))
        .extracting(SegmentRecord::firstSeqNum)
        .containsExactly(1L);
    assertThat(segmentObjects(s)).hasSize(1);
    assertThat(bodiesFrom(next, s, 0)).containsExactly("kept");
  }

  @Test
  void theDeletionBudgetLimitsOneSweep() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("budgeted", retention(1));
    for (int i = 0; i < 4; i++) {
      appendFlushed(dp, s, "r" + i);
    }
    flushedThrough(s, 3);
    clock.advance(5_000);

    LifecycleSweep.Summary first = await(sweep(dp, 2).run());

    assertThat(first.objectsDeleted()).isEqualTo(2);
    assertThat(await(fx.metadata.listSegments(idOf(s)))).hasSize(2);
    sweepOnce(dp);
    assertThat(await(fx.metadata.listSegments(idOf(s)))).isEmpty();
  }

  /** An object store whose deletes wait until the test releases them, counting those in flight. */
  private static final class HeldDeletes extends ForwardingObjectStore {
    private final List<Runnable> held = new ArrayList<>();
    private int inFlight;
    private int maxInFlight;

    HeldDeletes(ObjectStore inner) {
      super(inner);
    }

    @Override
    public synchronized CompletionStage<Void> delete(String key) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      held.add(
          () ->
              inner
                  .delete(key)
                  .whenComplete(
                      (x, e) -> {
                        synchronized (this) {
                          inFlight--;
                        }
                        if (e == null) {
                          done.complete(null);
                        } else {
                          done.completeExceptionally(e);
                        }
                      }));
      return done;
    }

    synchronized int inFlight() {
      return inFlight;
    }

    synchronized int maxInFlight() {
      return maxInFlight;
    }

    /** Lets every delete issued so far go to the store. */
    void release() {
      List<Runnable> now;
      synchronized (this) {
        now = new ArrayList<>(held);
        held.clear();
      }
      now.forEach(Runnable::run);
    }
  }

  @Test
  void walChunksOfACollectedPrefixAreDeletedSeveralAtATimeUpToTheConfiguredConcurrency() {
    DataPlane dp = start(FLUSH_EVERY_APPEND);
    String s = stream("many-chunks", StreamConfig.EMPTY);
    for (int i = 0; i < 10; i++) {
      appendFlushed(dp, s, "r" + i);
    }
    List<String> chunks = walObjects();
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(10);
    HeldDeletes store = new HeldDeletes(fx.objects);
    LifecycleSweep concurrent =
        LifecycleSweeper.sweep(
            store,
            fx.metadata,
            clock,
            dp::tailOf,
            control::deleteIfUnchanged,
            ch -> false,
            dp.metrics(),
            new LifecycleSettings(true, Duration.ofSeconds(1), 10_000, 3));

    CompletableFuture<LifecycleSweep.Summary> run = concurrent.run().toCompletableFuture();
    // Each round: the sweep issues a window of deletes and waits for all of them.
    while (!run.isDone()) {
      Awaitility.await().until(() -> run.isDone() || store.inFlight() > 0);
      if (!run.isDone()) {
        Awaitility.await().until(() -> run.isDone() || store.inFlight() == 3 || !more(store));
        store.release();
      }
    }

    LifecycleSweep.Summary summary = await(run);
    assertThat(summary.failures()).isZero();
    assertThat(store.maxInFlight()).isEqualTo(3);
    // Every chunk whose records are all in segments is gone (the open one holds only flushed
    // records too), and every record still reads back.
    assertThat(walObjects()).doesNotContainAnyElementsOf(chunks.subList(0, chunks.size() - 1));
    assertThat(bodiesFrom(dp, s, 0))
        .containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");
  }

  /** Whether the held store may still be given more deletes in this window (a short last one). */
  private static boolean more(HeldDeletes store) {
    int before = store.inFlight();
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return store.inFlight() != before;
  }

  @Test
  void chunkCollectorLivenessJudgesOnlyEarlierIncarnationsOfThisNodeAndNonMembersDead() {
    Instant started = Instant.ofEpochMilli(START_MS);
    ChunkCollector.Liveness l =
        LifecycleSweeper.liveness("node-a", started, () -> Set.of("node-a", "node-b"));
    assertThat(l.isDead(new ChannelRecord("c1", "node-a", "express", started.minusMillis(1), null)))
        .isTrue();
    assertThat(l.isDead(new ChannelRecord("c2", "node-a", "express", started, null))).isFalse();
    assertThat(l.isDead(new ChannelRecord("c3", "node-b", "express", started.minusMillis(1), null)))
        .isFalse();
    assertThat(l.isDead(new ChannelRecord("c4", "node-c", "express", started, null))).isTrue();
  }
}
