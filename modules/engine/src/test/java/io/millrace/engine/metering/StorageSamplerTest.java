package io.millrace.engine.metering;

import static io.millrace.engine.metering.MeteringStoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.metadata.MeteringRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StorageSamplerTest {
  private static final long HOUR = 1_800_000_000L / 3600 * 3600;

  private final MeteringStoreFixture fx = new MeteringStoreFixture();
  private final MutableClock clock = new MutableClock(HOUR + 125);
  private final StorageSampler sampler = new StorageSampler(fx.store, clock);

  @AfterEach
  void close() {
    sampler.close();
    fx.close();
  }

  @Test
  void eachStreamStoresTheSumOfItsSegmentsAndEachBasinTheSumOfItsStreams() {
    fx.basin("orders-basin");
    fx.basin("empty-basin");
    fx.stream("orders-basin", "a", "sid-a");
    fx.stream("orders-basin", "b", "sid-b");
    fx.segment("sid-a", 0, 9, 1000);
    fx.segment("sid-a", 10, 19, 500);
    fx.segment("sid-b", 0, 0, 42);

    await(sampler.sweep());

    assertThat(await(fx.store.listMetering("orders-basin", "a", "storage", 60, 0, Long.MAX_VALUE)))
        .containsExactly(
            new MeteringRecord("orders-basin", "a", "storage", 60, HOUR + 120, "", "", 1500));
    assertThat(await(fx.store.listMetering("orders-basin", "b", "storage", 60, 0, Long.MAX_VALUE)))
        .extracting(MeteringRecord::value)
        .containsExactly(42L);
    assertThat(await(fx.store.listMetering("orders-basin", "", "storage", 3600, 0, Long.MAX_VALUE)))
        .containsExactly(
            new MeteringRecord("orders-basin", "", "storage", 3600, HOUR, "", "", 1542));
    assertThat(await(fx.store.listMetering("empty-basin", "", "storage", 3600, 0, Long.MAX_VALUE)))
        .extracting(MeteringRecord::value)
        .containsExactly(0L);
    assertThat(await(fx.store.listMetering("", "", "active_basins", 3600, 0, Long.MAX_VALUE)))
        .extracting(MeteringRecord::label)
        .containsExactly("orders-basin");
  }

  @Test
  void deletedSegmentsDropOutAtTheNextSweepAndTheLatestSweepOfAnHourIsTheBasinValue() {
    fx.basin("orders-basin");
    fx.stream("orders-basin", "a", "sid-a");
    fx.segment("sid-a", 0, 9, 1000);
    fx.segment("sid-a", 10, 19, 500);
    await(sampler.sweep());

    await(fx.store.deleteSegment("sid-a", 0));
    clock.set(HOUR + 185);
    await(sampler.sweep());

    assertThat(await(fx.store.listMetering("orders-basin", "a", "storage", 60, 0, Long.MAX_VALUE)))
        .extracting(MeteringRecord::bucket, MeteringRecord::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(HOUR + 120, 1500L),
            org.assertj.core.groups.Tuple.tuple(HOUR + 180, 500L));
    assertThat(await(fx.store.listMetering("orders-basin", "", "storage", 3600, 0, Long.MAX_VALUE)))
        .extracting(MeteringRecord::value)
        .containsExactly(500L);
  }
}
