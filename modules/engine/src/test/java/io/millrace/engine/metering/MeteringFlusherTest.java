package io.millrace.engine.metering;

import static io.millrace.engine.metering.MeteringStoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.metadata.MeteringRecord;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeteringFlusherTest {
  private static final long HOUR = 1_800_000_000L / 3600 * 3600;

  private final MeteringStoreFixture fx = new MeteringStoreFixture();
  private final MutableClock clock = new MutableClock(HOUR + 10);
  private final UsageAggregator usage = new UsageAggregator(clock, "node-a");
  private final MeteringFlusher flusher = new MeteringFlusher(usage, fx.store, clock);

  @AfterEach
  void close() {
    flusher.close();
    fx.close();
  }

  private long minuteValue(long bucket) {
    return await(fx.store.listMetering("orders-basin", "", "append_ops", 60, bucket, bucket))
        .stream()
        .mapToLong(MeteringRecord::value)
        .sum();
  }

  @Test
  void repeatedFlushesReplaceTheNodesTotalInsteadOfAddingToIt() {
    usage.add("orders-basin", "append_ops", "express", 2);
    await(flusher.flush());
    usage.add("orders-basin", "append_ops", "express", 3);
    await(flusher.flush());
    await(flusher.flush());

    assertThat(minuteValue(HOUR)).isEqualTo(5);
  }

  @Test
  void countersOfAnEndedHourAreForgottenOnlyAfterTheyWereWritten() {
    usage.add("orders-basin", "append_ops", "express", 2);
    clock.set(HOUR + 3600 + MeteringFlusher.GRACE_SECONDS);
    await(flusher.flush());

    assertThat(usage.size()).isZero();
    assertThat(minuteValue(HOUR)).isEqualTo(2);
  }

  @Test
  void aFailedFlushKeepsTheCountersForTheNextOne() throws Exception {
    usage.add("orders-basin", "append_ops", "express", 4);
    clock.set(HOUR + 7200);
    fx.store.close();
    assertThat(flusher.flush().toCompletableFuture().handle((v, t) -> t).get(30, TimeUnit.SECONDS))
        .isNotNull();
    assertThat(usage.size()).isEqualTo(1);
  }

  @Test
  void rowsOlderThanTheRetentionAreDeleted() {
    await(
        fx.store.putMetering(
            java.util.List.of(
                new MeteringRecord(
                    "orders-basin", "", "append_ops", 60, 60, "express", "old", 9))));
    usage.add("orders-basin", "append_ops", "express", 1);
    await(flusher.flush());

    assertThat(minuteValue(60)).isZero();
    assertThat(minuteValue(HOUR)).isEqualTo(1);
  }
}
