package io.millrace.engine.metering;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.metadata.MeteringRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageAggregatorTest {
  /** 10:00:00 UTC on some day: an hour boundary. */
  private static final long HOUR = 1_800_000_000L / 3600 * 3600;

  private final MutableClock clock = new MutableClock(HOUR);
  private final UsageAggregator usage = new UsageAggregator(clock, "node-a");

  private void at(long epochSecond) {
    clock.set(epochSecond);
  }

  @Test
  void countsOfOneMinuteAddUpAndLandInThatMinutesRowAndItsHourRow() {
    at(HOUR + 5);
    usage.add("orders-basin", "append_ops", "express", 1);
    at(HOUR + 59);
    usage.add("orders-basin", "append_ops", "express", 2);

    assertThat(usage.rows())
        .contains(
            new MeteringRecord("orders-basin", "", "append_ops", 60, HOUR, "express", "node-a", 3),
            new MeteringRecord(
                "orders-basin", "", "append_ops", 3600, HOUR, "express", "node-a", 3));
  }

  @Test
  void minutesAreSeparateRowsAndTheHourRowSumsThem() {
    at(HOUR + 10);
    usage.add("orders-basin", "read_ops", "unary", 1);
    at(HOUR + 60);
    usage.add("orders-basin", "read_ops", "unary", 4);
    at(HOUR + 3600);
    usage.add("orders-basin", "read_ops", "unary", 10);

    List<MeteringRecord> rows = usage.rows();
    assertThat(rows)
        .filteredOn(r -> r.width() == 60)
        .extracting(MeteringRecord::bucket, MeteringRecord::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(HOUR, 1L),
            org.assertj.core.groups.Tuple.tuple(HOUR + 60, 4L),
            org.assertj.core.groups.Tuple.tuple(HOUR + 3600, 10L));
    assertThat(rows)
        .filteredOn(r -> r.width() == 3600 && r.metric().equals("read_ops"))
        .extracting(MeteringRecord::bucket, MeteringRecord::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(HOUR, 5L),
            org.assertj.core.groups.Tuple.tuple(HOUR + 3600, 10L));
  }

  @Test
  void everyBasinWithACountIsActiveInThatHourButAccountLevelCountsAreNoBasin() {
    at(HOUR + 30);
    usage.add("orders-basin", "basin_ops", "list_streams", 1);
    usage.add("", "account_ops", "list_basins", 1);

    assertThat(usage.rows())
        .filteredOn(r -> r.metric().equals("active_basins"))
        .containsExactly(
            new MeteringRecord("", "", "active_basins", 3600, HOUR, "orders-basin", "", 1));
  }

  @Test
  void zeroAndNegativeAmountsAreNotCounted() {
    usage.add("orders-basin", "read_throughput", "", 0);
    usage.add("orders-basin", "read_throughput", "", -5);
    assertThat(usage.rows()).isEmpty();
  }

  @Test
  void forgettingDropsOnlyHoursThatHaveEnded() {
    at(HOUR + 10);
    usage.add("orders-basin", "append_ops", "standard", 1);
    at(HOUR + 3600 + 10);
    usage.add("orders-basin", "append_ops", "standard", 2);

    usage.forgetBefore(HOUR + 3599);
    assertThat(usage.size()).isEqualTo(2);
    usage.forgetBefore(HOUR + 3600);
    assertThat(usage.size()).isEqualTo(1);
    assertThat(usage.rows())
        .filteredOn(r -> r.width() == 60)
        .extracting(MeteringRecord::bucket)
        .containsExactly(HOUR + 3600);
  }

  @Test
  void concurrentAddsAreAllCounted() throws Exception {
    at(HOUR + 1);
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  usage.add("orders-basin", "append_ops", "express", 1);
                }
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(usage.rows())
        .filteredOn(r -> r.width() == 60 && r.metric().equals("append_ops"))
        .extracting(MeteringRecord::value)
        .containsExactly(40_000L);
  }
}
