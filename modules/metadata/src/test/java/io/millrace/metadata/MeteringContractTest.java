package io.millrace.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code metering} table of every {@link MetadataStore} (SQLite, Cassandra): upserts by full
 * key, range reads of one series partition in bucket order, rows of other partitions never mixed
 * in. Every test uses a fresh basin name, so a shared Cassandra keyspace works.
 */
public abstract class MeteringContractTest {

  protected abstract MetadataStore newStore() throws Exception;

  private MetadataStore store;
  private String basin;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
    basin = "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private MeteringRecord row(String metric, long bucket, String label, String node, long value) {
    return new MeteringRecord(basin, "", metric, 60, bucket, label, node, value);
  }

  @Test
  void rowsOfOnePartitionComeBackInBucketOrderWithinTheRange() {
    await(
        store.putMetering(
            List.of(
                row("append_ops", 180, "express", "n1", 3),
                row("append_ops", 60, "standard", "n1", 1),
                row("append_ops", 60, "express", "n2", 2),
                row("append_ops", 120, "express", "n1", 5),
                row("append_ops", 240, "express", "n1", 9))));

    assertThat(await(store.listMetering(basin, "", "append_ops", 60, 60, 180)))
        .containsExactly(
            row("append_ops", 60, "express", "n2", 2),
            row("append_ops", 60, "standard", "n1", 1),
            row("append_ops", 120, "express", "n1", 5),
            row("append_ops", 180, "express", "n1", 3));
  }

  @Test
  void aSecondWriteOfTheSameKeyReplacesTheValue() {
    await(store.putMetering(List.of(row("read_ops", 60, "unary", "n1", 4))));
    await(store.putMetering(List.of(row("read_ops", 60, "unary", "n1", 7))));

    assertThat(await(store.listMetering(basin, "", "read_ops", 60, 0, 600)))
        .containsExactly(row("read_ops", 60, "unary", "n1", 7));
  }

  @Test
  void otherMetricsStreamsWidthsAndBasinsAreNotListed() {
    MeteringRecord streamRow = new MeteringRecord(basin, "a/b", "storage", 60, 60, "", "", 10);
    MeteringRecord hourRow = new MeteringRecord(basin, "", "storage", 3600, 0, "", "", 11);
    MeteringRecord otherBasin = new MeteringRecord(basin + "x", "", "storage", 60, 60, "", "", 12);
    MeteringRecord basinRow = new MeteringRecord(basin, "", "storage", 60, 60, "", "", 13);
    await(
        store.putMetering(
            List.of(streamRow, hourRow, otherBasin, basinRow, row("x", 60, "", "", 1))));

    assertThat(await(store.listMetering(basin, "", "storage", 60, 0, 600)))
        .containsExactly(basinRow);
    assertThat(await(store.listMetering(basin, "a/b", "storage", 60, 0, 600)))
        .containsExactly(streamRow);
    assertThat(await(store.listMetering(basin, "", "storage", 3600, 0, 600)))
        .containsExactly(hourRow);
    assertThat(await(store.listMetering(basin, "", "nothing", 60, 0, 600))).isEmpty();
  }

  @Test
  void deletingBeforeABucketLeavesNothingOlderListed() {
    await(
        store.putMetering(
            List.of(row("basin_ops", 60, "", "n1", 1), row("basin_ops", 3_000, "", "n1", 2))));

    await(store.deleteMeteringBefore(120));

    // SQLite deletes at once; Cassandra lets rows expire by their time to live instead.
    List<MeteringRecord> left = await(store.listMetering(basin, "", "basin_ops", 60, 0, 10_000));
    assertThat(left).contains(row("basin_ops", 3_000, "", "n1", 2));
    if (deletesAtOnce()) {
      assertThat(left).containsExactly(row("basin_ops", 3_000, "", "n1", 2));
    }
  }

  /** Whether {@link MetadataStore#deleteMeteringBefore} deletes rows (else they expire by TTL). */
  protected abstract boolean deletesAtOnce();

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("metadata call failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("metadata call did not complete: " + e, e);
    }
  }
}
