package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.acked;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.readAllBodiesOnceAnswering;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Durability and availability of the data plane under storage and metadata faults. */
class DurabilityFindingsTest {
  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);
  private FaultyMetadata metadata;

  @BeforeEach
  void setUp() {
    metadata = new FaultyMetadata(fx.metadata);
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static final String FLUSH_AGE_1_S = "millrace.engine.segments.flush-age = 1 s\n";
  private static final String ROTATE_AT_EVERY_FLUSH =
      "millrace.engine.segments.streamlet-rotation-bytes = 0\n";

  private DataPlane node(String overrides) {
    return fx.start(overrides, metadata.store, clock).dataPlane;
  }

  private String stream(String name) {
    return fx.stream(name);
  }

  private String idOf(String name) {
    return fx.idOf(name);
  }

  private static long activations(DataPlane dp) {
    return dp.metrics().snapshot().get("millrace_stream_activations_total");
  }

  /**
   * Advances the clock by 2 s and waits until the stream's state says it is flushed to {@code
   * next}.
   */
  private void advanceAndAwaitFlushedTo(String id, long next) {
    clock.advance(2_000);
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.getStreamState(id))
                    .map(st -> st.flushedNextSeqNum() == next)
                    .orElse(false));
  }

  private static List<String> readAll(DataPlane dp, String stream) {
    return readAllBodiesOnceAnswering(dp, stream);
  }

  // ---------------------------------------------------------------- finding 4

  @Test
  void aFailedWriteWhoseStreamletCannotBeSealedIsReportedAsMaybeDurableNotAsStorage() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 0\n");
    String s = stream("unsealable");
    appended(dp, s, "durable");
    metadata.fail("sealStreamlet", new IllegalStateException("metadata unreachable"));
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> doomed = dp.append(BASIN, s, input("doomed"));
    Awaitility.await().until(() -> gate.heldCount() >= 1);
    gate.failHeld(() -> new ObjectStoreException("bucket unreachable"));
    gate.open();

    S2Exception e = failure(doomed);
    assertThat(e.code()).isEqualTo(ErrorCode.OTHER);
    metadata.clear("sealStreamlet");
    assertThat(readAll(dp, s)).startsWith("durable");
  }

  @Test
  void aFailedWriteIsReportedAsStorageOnceTheStreamletIsSealed() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 0\n");
    String s = stream("sealable");
    appended(dp, s, "durable");
    InMemoryObjectStore.Gate gate = fx.objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> doomed = dp.append(BASIN, s, input("doomed"));
    Awaitility.await().until(() -> gate.heldCount() >= 1);
    gate.failHeld(() -> new ObjectStoreException("bucket unreachable"));
    gate.open();

    assertThat(failure(doomed).code()).isEqualTo(ErrorCode.STORAGE);
    assertThat(await(fx.metadata.listStreamlets(idOf(s))))
        .anySatisfy(l -> assertThat(l.sealedNextSeqNum()).isEqualTo(1L));
    assertThat(appended(dp, s, "next").start().seqNum()).isEqualTo(1);
    assertThat(readAll(dp, s)).containsExactly("durable", "next");
  }

  // ---------------------------------------------------------------- finding 5

  @Test
  void aStreamletCreateThatLandedButReportedAnErrorDoesNotMakeTheStreamLoseARaceAgainstItself() {
    DataPlane dp = node("");
    String s = stream("ambiguous-create");
    String other = stream("same-channel");
    appended(dp, other, "other-0");
    AtomicBoolean once = new AtomicBoolean();
    metadata.on(
        "createStreamlet",
        inv -> {
          Object real = inv.proceed().get();
          if (!once.compareAndSet(false, true)) {
            return real;
          }
          ((CompletionStage<?>) real).toCompletableFuture().join();
          return CompletableFuture.failedFuture(
              new IllegalStateException("timed out after the write was applied"));
        });

    assertThat(appended(dp, s, "a").start().seqNum()).isEqualTo(0);
    assertThat(appended(dp, s, "b").start().seqNum()).isEqualTo(1);
    // The shared channel is healthy: the other stream keeps appending on it.
    assertThat(appended(dp, other, "other-1").start().seqNum()).isEqualTo(1);
    assertThat(fx.objects.keys()).noneMatch(k -> k.startsWith("wal/") && isSeal(k));
    fx.nodes().get(0).crash();

    DataPlane after = node("");
    assertThat(readAll(after, s)).containsExactly("a", "b");
    assertThat(readAll(after, other)).containsExactly("other-0", "other-1");
  }

  @Test
  void aStreamletCreateThatFailedOutrightFailsTheAppendRetryablyAndTheNextOneSucceeds() {
    DataPlane dp = node("");
    String s = stream("failed-create");
    AtomicBoolean once = new AtomicBoolean();
    metadata.on(
        "createStreamlet",
        inv ->
            once.compareAndSet(false, true)
                ? CompletableFuture.failedFuture(new IllegalStateException("metadata unreachable"))
                : inv.proceed().get());

    S2Exception e = failure(dp.append(BASIN, s, input("lost")));
    assertThat(e.code().retryable()).isTrue();
    assertThat(appended(dp, s, "a").start().seqNum()).isEqualTo(0);
    assertThat(readAll(dp, s)).containsExactly("a");
  }

  // ---------------------------------------------------------------- review: partial flush

  @Test
  void aFlushThatFailedAfterItsSegmentWasIndexedIsRetriedExactlyAndTheOwnerKeepsTheStream() {
    DataPlane dp = node(FLUSH_AGE_1_S);
    String s = stream("partial-flush");
    String id = idOf(s);
    appended(dp, s, "a");
    appended(dp, s, "b");
    long activations = activations(dp);
    // The segment's object and index row are written; the state write then fails (a store blip).
    AtomicInteger failedStateWrites = new AtomicInteger();
    metadata.on(
        "putStreamState",
        inv -> {
          failedStateWrites.incrementAndGet();
          return CompletableFuture.failedFuture(new IllegalStateException("metadata unreachable"));
        });
    clock.advance(2_000);
    Awaitility.await().until(() -> failedStateWrites.get() >= 1);
    Awaitility.await().until(() -> !await(fx.metadata.listSegments(id)).isEmpty());
    // More records arrive before the store is back.
    appended(dp, s, "c");
    metadata.clear("putStreamState");
    for (long flushed : new long[] {2, 3}) {
      advanceAndAwaitFlushedTo(id, flushed);
    }

    // The same owner still holds the stream: it was never taken for superseded and reactivated.
    assertThat(appended(dp, s, "d").start().seqNum()).isEqualTo(3);
    assertThat(activations(dp)).isEqualTo(activations);
    // Every segment object written is in the index: none was left behind by a refused flush.
    List<String> indexed =
        await(fx.metadata.listSegments(id)).stream().map(SegmentRecord::objectKey).toList();
    assertThat(fx.objects.keys().stream().filter(k -> k.startsWith("segments/")).toList())
        .containsExactlyInAnyOrderElementsOf(indexed);
    assertThat(readAll(dp, s)).containsExactly("a", "b", "c", "d");
  }

  @Test
  void aFailedStreamletCreateThatRevealsAnotherOwnersEpochStopsTheInstanceInsteadOfAdoptingIt() {
    DataPlane dp = node("");
    String s = stream("foreign-epoch");
    String id = idOf(s);
    appended(dp, s, "a");
    // The streamlet is sealed when the stream rotates or moves; force the next append to open one.
    dp.stop().toCompletableFuture().join();
    DataPlane next = node("");
    long before = activations(next);
    // While this instance creates its epoch, another owner registers that very epoch, and the
    // create answers with an error.
    AtomicBoolean once = new AtomicBoolean();
    metadata.on(
        "createStreamlet",
        inv -> {
          if (!once.compareAndSet(false, true)) {
            return inv.proceed().get();
          }
          StreamletRecord mine = (StreamletRecord) inv.args()[0];
          await(
              fx.metadata.createStreamlet(
                  new StreamletRecord(id, mine.epoch(), "another-owners-channel", 0, null, null)));
          return CompletableFuture.failedFuture(new IllegalStateException("metadata timed out"));
        });

    S2Exception e = failure(next.append(BASIN, s, input("lost")));
    assertThat(e.code().retryable()).isTrue();
    // The instance stops; a fresh activation recovers (sealing the other owner's channel) and
    // takes the stream at a higher epoch. Like a client, retry while the stream is restarting.
    AppendOutcome outcome = null;
    for (int attempt = 0; attempt < 50 && outcome == null; attempt++) {
      CompletionStage<AppendOutcome> b = next.append(BASIN, s, input("b"));
      try {
        outcome = b.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception ex) {
        S2Exception retry = failure(b);
        // Retrying is safe: unavailable means nothing was appended.
        assertThat(retry.code()).as(retry.getMessage()).isEqualTo(ErrorCode.UNAVAILABLE);
      }
    }
    assertThat(acked(CompletableFuture.completedFuture(outcome)).start().seqNum()).isEqualTo(1);
    assertThat(activations(next)).isEqualTo(before + 2);
    assertThat(readAll(next, s)).containsExactly("a", "b");
  }

  // ---------------------------------------------------------------- finding 1

  @Test
  void anActivationAfterACrashReadsOnlyTheWalChunksWrittenSinceTheLastSegmentFlush() {
    // Rotation at every flush (ADR 0013's 0): the streamlet ends at each flushed position.
    DataPlane dp = node(FLUSH_AGE_1_S + ROTATE_AT_EVERY_FLUSH);
    String s = stream("long-lived");
    String id = idOf(s);
    List<String> expected = new ArrayList<>();
    int rounds = 3;
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < 10; i++) {
        String body = "r" + round + "-" + i;
        acked(dp.append(BASIN, s, input(body)));
        expected.add(body);
      }
      long tail = expected.size();
      advanceAndAwaitFlushedTo(id, tail);
    }
    // After the last flush the streamlet rotates: its WAL chunks are no longer needed.
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.listStreamlets(id)).stream()
                    .allMatch(l -> l.sealedNextSeqNum() != null));
    for (int i = 0; i < 3; i++) {
      String body = "unflushed-" + i;
      acked(dp.append(BASIN, s, input(body)));
      expected.add(body);
    }
    fx.nodes().get(0).crash();

    java.util.Set<String> walGets = recordWalGets();
    DataPlane after = node(FLUSH_AGE_1_S + ROTATE_AT_EVERY_FLUSH);
    assertThat(readAll(after, s)).containsExactlyElementsOf(expected);
    // Each acked append above was its own chunk: only the 3 written after the last flush are read.
    assertThat(walGets).hasSize(3);
    assertThat(walGets).allSatisfy(k -> assertThat(chunkSeq(k)).isGreaterThanOrEqualTo(30));
  }

  @Test
  void flushesKeepAppendingInOneStreamletUntilItHoldsTheRotationBytes() {
    // Each record below is 12 metered bytes (8 + a 4-byte body): a round of 10 appends is 120 B,
    // so the streamlet reaches the 300 B rotation bytes in the third round.
    DataPlane dp =
        node(FLUSH_AGE_1_S + "millrace.engine.segments.streamlet-rotation-bytes = 300\n");
    String s = stream("rare-rotation");
    String id = idOf(s);
    List<String> expected = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 10; i++) {
        String body = "r" + round + "-" + i;
        acked(dp.append(BASIN, s, input(body)));
        expected.add(body);
      }
      // The appends of this round came after the previous round's flush: a rotation it asked for
      // would have sealed the streamlet before they were sent.
      assertThat(await(fx.metadata.listStreamlets(id)))
          .as("round %d", round)
          .singleElement()
          .satisfies(l -> assertThat(l.sealedNextSeqNum()).isNull());
      advanceAndAwaitFlushedTo(id, expected.size());
    }
    // The third flush found 360 B in the streamlet: the next appends go to a new one.
    for (int i = 0; i < 3; i++) {
      String body = "unflushed-" + i;
      acked(dp.append(BASIN, s, input(body)));
      expected.add(body);
    }
    List<StreamletRecord> lets = await(fx.metadata.listStreamlets(id));
    assertThat(lets).hasSize(2);
    assertThat(lets.get(0).sealedNextSeqNum()).isEqualTo(30);
    assertThat(lets.get(1).sealedNextSeqNum()).isNull();
    assertThat(dp.metrics().snapshot()).containsEntry("millrace_streamlet_rotations_total", 1L);
    fx.nodes().get(0).crash();

    java.util.Set<String> walGets = recordWalGets();
    DataPlane after = node(FLUSH_AGE_1_S);
    assertThat(readAll(after, s)).containsExactlyElementsOf(expected);
    // The sealed streamlet lies wholly below the flushed position: only the new one is read.
    assertThat(walGets).hasSize(3);
    assertThat(walGets).allSatisfy(k -> assertThat(chunkSeq(k)).isGreaterThanOrEqualTo(30));
  }

  @Test
  void anActivationAfterACrashBeforeTheRotationReplaysTheWholeStreamletAndLosesNothing() {
    DataPlane dp =
        node(FLUSH_AGE_1_S + "millrace.engine.segments.streamlet-rotation-bytes = 1 KiB\n");
    String s = stream("unrotated");
    String id = idOf(s);
    List<String> expected = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 10; i++) {
        String body = "r" + round + "-" + i;
        acked(dp.append(BASIN, s, input(body)));
        expected.add(body);
      }
      advanceAndAwaitFlushedTo(id, expected.size());
    }
    for (int i = 0; i < 3; i++) {
      String body = "unflushed-" + i;
      acked(dp.append(BASIN, s, input(body)));
      expected.add(body);
    }
    assertThat(await(fx.metadata.listStreamlets(id))).singleElement();
    assertThat(dp.metrics().snapshot()).containsEntry("millrace_streamlet_rotations_total", 0L);
    fx.nodes().get(0).crash();

    java.util.Set<String> walGets = recordWalGets();
    DataPlane after = node(FLUSH_AGE_1_S);
    assertThat(readAll(after, s)).containsExactlyElementsOf(expected);
    // The recovery bound of ADR 0013: the open streamlet is replayed from its first chunk (the
    // flushed records are read and skipped), here all 23 chunks.
    assertThat(walGets).hasSize(23);
  }

  /** From now on, the keys of the WAL objects read from the store (nothing is blocked). */
  private java.util.Set<String> recordWalGets() {
    java.util.Set<String> walGets = java.util.concurrent.ConcurrentHashMap.newKeySet();
    fx.objects.blockGets(
        k -> {
          if (k.startsWith("wal/")) {
            walGets.add(k);
          }
          return false;
        });
    return walGets;
  }

  // ---------------------------------------------------------------- finding 3

  @Test
  void anAppendThatReachesAnErasedStreamIsNotFoundAndWritesNothing() {
    DataPlane dp = node("");
    String s = stream("erased");
    String id = idOf(s);
    appended(dp, s, "before");
    await(dp.erase(id));
    java.util.Set<String> keysAfterErase = new java.util.HashSet<>(fx.objects.keys());

    // The resolver still maps the name to the id (a cache that has not seen the delete).
    assertThat(failure(dp.append(BASIN, s, input("after"))).code())
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(
            failure(
                    dp.read(
                        BASIN,
                        s,
                        new ReadRequest(new ReadStart.SeqNum(0), false, null, null, null, null)))
                .code())
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(failure(dp.checkTail(BASIN, s)).code()).isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(await(fx.metadata.listStreamlets(id))).isEmpty();
    assertThat(await(fx.metadata.listSegments(id))).isEmpty();
    assertThat(fx.objects.keys()).containsExactlyInAnyOrderElementsOf(keysAfterErase);

    // Still so on another node after a restart, and erasing again is fine.
    fx.nodes().get(0).crash();
    DataPlane after = node("");
    assertThat(failure(after.append(BASIN, s, input("later"))).code())
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    await(after.erase(id));
    assertThat(await(fx.metadata.listStreamlets(id))).isEmpty();
  }

  private static long chunkSeq(String walKey) {
    return Long.parseLong(walKey.substring(walKey.lastIndexOf('/') + 1));
  }

  private boolean isSeal(String key) {
    return fx.objects
        .peek(key)
        .map(
            b ->
                io.millrace.format.WalChunkCodec.decode(b)
                    instanceof io.millrace.format.WalObject.Seal)
        .orElse(false);
  }
}
