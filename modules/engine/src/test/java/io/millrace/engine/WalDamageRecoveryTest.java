package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.wal.WalHorizon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, fault 3: a WAL chunk that is lost or corrupt after its records were acknowledged. Each
 * test acknowledges {@link #CHUNKS} appends (one chunk each: sequential appends at low load are
 * group-committed one chunk at a time), drops the node without a handoff, damages one chunk
 * position of the channel, and restarts over the same stores: no acknowledged record may be
 * silently lost and no seq num handed out twice.
 */
class WalDamageRecoveryTest {
  private static final int CHUNKS = 8;
  private static final String DEPTH_1 = "millrace.engine.channels.max-chunk-writes-in-flight = 1\n";

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  /** Acknowledges CHUNKS appends of one record each to a new stream and crashes; the chunk keys. */
  private List<String> acknowledgeAndCrash(String overrides, String stream) {
    DataPlane dp = fx.start(overrides, clock).dataPlane;
    fx.stream(stream);
    for (int i = 0; i < CHUNKS; i++) {
      assertThat(appended(dp, stream, "r" + i).start().seqNum()).isEqualTo(i);
    }
    fx.nodes().get(fx.nodes().size() - 1).crash();
    List<String> chunks = new ArrayList<>();
    for (String k : fx.objects.keys()) {
      if (k.startsWith("wal/")) {
        chunks.add(k);
      }
    }
    chunks.sort(null);
    assertThat(chunks).as("one chunk per acknowledged append").hasSize(CHUNKS);
    return chunks;
  }

  private void corrupt(String key) {
    byte[] data = fx.objects.peek(key).orElseThrow();
    data[data.length / 2] ^= 0x01;
    await(fx.objects.delete(key));
    fx.objects.seed(key, data);
  }

  /** What a client sees of the restarted stream: reads, tail and appends fail with data_loss. */
  private void assertNeedsRepair(DataPlane dp, String stream, String damagedKey) {
    S2Exception read = failure(dp.read(BASIN, stream, fromSeq(0)));
    assertThat(read.code()).isEqualTo(ErrorCode.DATA_LOSS);
    assertThat(read.code().retryable()).isFalse();
    assertThat(read.getMessage())
        .contains("needs repair")
        .contains(
            "WAL chunk " + Long.parseLong(damagedKey.substring(damagedKey.lastIndexOf('/') + 1)));
    assertThat(failure(dp.checkTail(BASIN, stream)).code()).isEqualTo(ErrorCode.DATA_LOSS);
    // The append is refused, so no seq num already acknowledged is handed out again.
    assertThat(failure(dp.append(BASIN, stream, input("after"))).code())
        .isEqualTo(ErrorCode.DATA_LOSS);
    assertThat(dp.damage().count(DamageReport.Kind.STREAM)).isEqualTo(1);
    assertThat(dp.damage().count(DamageReport.Kind.CHANNEL)).isEqualTo(1);
    assertThat(dp.damage().entries().get(0).detail()).contains("WAL chunk");
  }

  @ParameterizedTest(name = "chunk position {0} of " + CHUNKS + " deleted")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
  void aDeletedChunkWithLaterChunksIsNotSealedOverAndTheStreamAsksForRepair(int position) {
    List<String> chunks = acknowledgeAndCrash(DEPTH_1, "lost");
    String hole = chunks.get(position);
    await(fx.objects.delete(hole));

    DataPlane dp = fx.start(DEPTH_1, clock).dataPlane;
    assertNeedsRepair(dp, "lost", hole);
    assertThat(fx.objects.peek(hole)).as("no seal written over the hole").isEmpty();
  }

  @ParameterizedTest(name = "chunk position {0} of " + CHUNKS + " corrupt")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
  void aCorruptChunkAtAnyPositionMakesTheStreamAskForRepairInsteadOfAnsweringRetryably(
      int position) {
    List<String> chunks = acknowledgeAndCrash(DEPTH_1, "corrupt");
    corrupt(chunks.get(position));

    DataPlane dp = fx.start(DEPTH_1, clock).dataPlane;
    assertNeedsRepair(dp, "corrupt", chunks.get(position));
  }

  @Test
  void aHoleFollowedByMoreChunksThanThePipeliningDepthIsRefusedAtTheDefaultDepth() {
    List<String> chunks = acknowledgeAndCrash("", "deep");
    // Default depth 4: chunks 4 to 7 are at or beyond 0 + 4, so chunk 0 was written and lost.
    await(fx.objects.delete(chunks.get(0)));

    DataPlane dp = fx.start("", clock).dataPlane;
    assertNeedsRepair(dp, "deep", chunks.get(0));
  }

  @Test
  void aRepairedChunkLetsTheStreamRecoverEveryAcknowledgedRecord() {
    List<String> chunks = acknowledgeAndCrash(DEPTH_1, "repaired");
    byte[] saved = fx.objects.peek(chunks.get(3)).orElseThrow();
    await(fx.objects.delete(chunks.get(3)));
    DataPlane dp = fx.start(DEPTH_1, clock).dataPlane;
    assertThat(failure(dp.checkTail(BASIN, "repaired")).code()).isEqualTo(ErrorCode.DATA_LOSS);

    fx.objects.seed(chunks.get(3), saved);
    Awaitility.await()
        .until(
            () ->
                dp.checkTail(BASIN, "repaired")
                    .toCompletableFuture()
                    .handle((t, e) -> t != null)
                    .get());
    assertThat(bodies(readAll(dp, "repaired")))
        .containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
    assertThat(appended(dp, "repaired", "r8").start().seqNum()).isEqualTo(CHUNKS);
    assertThat(dp.damage().count(DamageReport.Kind.STREAM)).isZero();
  }

  @Test
  void chunksBelowTheWalHorizonWereCollectedOnPurposeAndAreNotAHole() {
    // Three appends, a segment flush of them, then three more in a new streamlet on the same
    // channel (chunks 3 to 5); the first three chunks are then collected (deleted on purpose).
    String flushAge =
        DEPTH_1
            + "millrace.engine.segments.flush-age = 1 s\n"
            + "millrace.engine.segments.streamlet-rotation-bytes = 0\n";
    DataPlane dp = fx.start(flushAge, clock).dataPlane;
    String s = fx.stream("collected");
    String id = fx.idOf(s);
    for (int i = 0; i < 3; i++) {
      appended(dp, s, "r" + i);
    }
    clock.advance(2_000);
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.getStreamState(id))
                    .map(st -> st.flushedNextSeqNum() >= 3)
                    .orElse(false));
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.listStreamlets(id)).stream()
                    .allMatch(l -> l.sealedNextSeqNum() != null));
    for (int i = 3; i < 6; i++) {
      appended(dp, s, "r" + i);
    }
    fx.nodes().get(0).crash();
    List<String> wal = new ArrayList<>();
    for (String k : fx.objects.keys()) {
      if (k.startsWith("wal/")) {
        wal.add(k);
      }
    }
    wal.sort(null);
    String channelPrefix =
        wal.get(wal.size() - 1).substring(0, wal.get(wal.size() - 1).lastIndexOf('/') + 1);
    List<String> collected = new ArrayList<>();
    for (String k : wal) {
      if (k.startsWith(channelPrefix) && Long.parseLong(k.substring(channelPrefix.length())) < 3) {
        collected.add(k);
      }
    }
    assertThat(collected).hasSize(3);
    for (String k : collected) {
      await(fx.objects.delete(k));
    }

    WalHorizon gcHorizon = channel -> CompletableFuture.completedFuture(3L);
    DataPlane after = fx.start(flushAge, clock, gcHorizon).dataPlane;
    assertThat(bodies(readAll(after, s))).containsExactly("r0", "r1", "r2", "r3", "r4", "r5");
    assertThat(appended(after, s, "r6").start().seqNum()).isEqualTo(6);
  }

  private static List<String> bodies(List<SequencedRecord> records) {
    List<String> out = new ArrayList<>();
    for (SequencedRecord r : records) {
      out.add(new String(r.body(), StandardCharsets.UTF_8));
    }
    return out;
  }
}
