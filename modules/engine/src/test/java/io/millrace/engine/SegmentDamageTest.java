package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.acked;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.verify.StoreVerifier;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.format.SegmentCodec;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, fault 4: one flipped byte in a segment must not make the whole stream unreadable. A
 * 600-record segment has three blocks (256 records each at most); the middle one is damaged.
 */
class SegmentDamageTest {
  private static final String FLUSH_1_S = "millrace.engine.segments.flush-age = 1 s\n";
  private static final int RECORDS = 600;

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  /** Writes RECORDS records into one segment, damages its middle block; the node to read with. */
  private DataPlane streamWithDamagedMiddleBlock(String stream) {
    DataPlane dp = fx.start(FLUSH_1_S, clock).dataPlane;
    fx.stream(stream);
    String id = fx.idOf(stream);
    for (int i = 0; i < RECORDS; i += 100) {
      String[] bodies = new String[100];
      for (int j = 0; j < 100; j++) {
        bodies[j] = "r" + (i + j);
      }
      acked(dp.append(BASIN, stream, input(bodies)));
    }
    clock.advance(2_000);
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.getStreamState(id))
                    .map(st -> st.flushedNextSeqNum() == RECORDS)
                    .orElse(false));
    fx.nodes().get(0).crash();
    String key = await(fx.metadata.listSegments(id)).get(0).objectKey();
    byte[] segment = fx.objects.peek(key).orElseThrow();
    SegmentCodec.Trailer trailer = SegmentCodec.decodeTrailer(segment);
    byte[] index = new byte[trailer.indexLength()];
    System.arraycopy(segment, (int) trailer.indexOffset(), index, 0, index.length);
    List<SegmentCodec.IndexEntry> blocks = SegmentCodec.decodeIndex(index);
    assertThat(blocks).hasSize(3);
    assertThat(blocks.get(1).firstSeqNum()).isEqualTo(256);
    segment[(int) blocks.get(1).blockOffset() + 40] ^= 0x10;
    await(fx.objects.delete(key));
    fx.objects.seed(key, segment);
    return fx.start(FLUSH_1_S, clock).dataPlane;
  }

  @Test
  void verifyReportsTheDamagedSegmentAndRepairRebuildsItFromTheWal() {
    DataPlane before = streamWithDamagedMiddleBlock("rebuilt");
    assertThat(failure(before.read(BASIN, "rebuilt", fromSeq(300))).code())
        .isEqualTo(ErrorCode.DATA_LOSS);
    fx.nodes().get(1).crash();

    StoreVerifier verifier = new StoreVerifier(fx.objects, fx.metadata, 4, WalHorizon.NONE);
    StoreVerifier.Report found = verifier.run(false);
    assertThat(found.count(StoreVerifier.Severity.DAMAGED)).isEqualTo(1);
    assertThat(found.findings())
        .anySatisfy(
            f -> {
              assertThat(f.severity()).isEqualTo(StoreVerifier.Severity.DAMAGED);
              assertThat(f.subject()).contains("segment 0-599");
              assertThat(f.problem()).contains("block 1").contains("256 to 511");
            });

    StoreVerifier.Report repaired = verifier.run(true);
    assertThat(repaired.count(StoreVerifier.Severity.REPAIRED)).isEqualTo(1);
    assertThat(repaired.count(StoreVerifier.Severity.DAMAGED)).isZero();
    assertThat(verifier.run(false).count(StoreVerifier.Severity.DAMAGED)).isZero();

    DataPlane after = fx.start(FLUSH_1_S, clock).dataPlane;
    List<SequencedRecord> all = new java.util.ArrayList<>();
    while (all.size() < RECORDS) {
      all.addAll(records(await(after.read(BASIN, "rebuilt", fromSeq(all.size())))));
    }
    assertThat(seqNums(all)).hasSize(RECORDS).startsWith(0L).endsWith(599L);
    assertThat(new String(all.get(300).body(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("r300");
  }

  @Test
  void verifyReportsALostWalChunkThatLaterChunksProveWasWritten() {
    DataPlane dp = fx.start("", clock).dataPlane;
    fx.stream("lost");
    for (int i = 0; i < 8; i++) {
      appended(dp, "lost", "r" + i);
    }
    fx.nodes().get(0).crash();
    List<String> wal =
        fx.objects.keys().stream().filter(k -> k.startsWith("wal/")).sorted().toList();
    await(fx.objects.delete(wal.get(1)));

    StoreVerifier.Report report =
        new StoreVerifier(fx.objects, fx.metadata, 4, WalHorizon.NONE).run(false);
    assertThat(report.findings())
        .filteredOn(f -> f.severity() == StoreVerifier.Severity.DAMAGED)
        .singleElement()
        .satisfies(f -> assertThat(f.problem()).contains("written and lost"));
  }

  private static List<Long> seqNums(List<SequencedRecord> records) {
    return records.stream().map(SequencedRecord::seqNum).toList();
  }

  @Test
  void readsOfUndamagedBlocksStillWorkAndTheDamagedRangeIsANonRetryableDataLoss() {
    DataPlane dp = streamWithDamagedMiddleBlock("flipped");

    // From the start: the batch ends just before the damage.
    List<SequencedRecord> first = records(await(dp.read(BASIN, "flipped", fromSeq(0))));
    assertThat(seqNums(first)).hasSize(256).startsWith(0L).endsWith(255L);

    // Inside the damage: non-retryable, naming the seq nums.
    S2Exception damaged = failure(dp.read(BASIN, "flipped", fromSeq(300)));
    assertThat(damaged.code()).isEqualTo(ErrorCode.DATA_LOSS);
    assertThat(damaged.code().retryable()).isFalse();
    assertThat(damaged.getMessage()).contains("256 to 511").contains("damaged segment");

    // After it: readable.
    List<SequencedRecord> after = records(await(dp.read(BASIN, "flipped", fromSeq(512))));
    assertThat(seqNums(after)).hasSize(RECORDS - 512).startsWith(512L).endsWith(599L);

    // The stream still takes appends and reports its tail; the node reports the segment.
    assertThat(await(dp.checkTail(BASIN, "flipped")).seqNum()).isEqualTo(RECORDS);
    assertThat(appended(dp, "flipped", "next").start().seqNum()).isEqualTo(RECORDS);
    assertThat(dp.damage().count(DamageReport.Kind.SEGMENT)).isEqualTo(1);
  }
}
