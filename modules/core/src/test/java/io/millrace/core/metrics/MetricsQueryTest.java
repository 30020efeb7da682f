package io.millrace.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.metrics.MetricSet.Scope;
import org.junit.jupiter.api.Test;

class MetricsQueryTest {
  private static final long NOW = 1_800_000_000L;

  private static MetricsQuery of(Scope scope, String set, Long start, Long end, String interval) {
    return MetricsQuery.of(scope, set, start, end, interval, NOW);
  }

  private static void assertInvalid(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOf(S2Exception.class)
        .satisfies(e -> assertThat(((S2Exception) e).code()).isEqualTo(ErrorCode.INVALID))
        .hasMessageContaining(message);
  }

  @Test
  void missingEndIsNowAndMissingStartIsOneHourBeforeEnd() {
    MetricsQuery q = of(Scope.ACCOUNT, "account-ops", null, null, null);
    assertThat(q.end()).isEqualTo(NOW);
    assertThat(q.start()).isEqualTo(NOW - 3600);

    MetricsQuery onlyEnd = of(Scope.ACCOUNT, "account-ops", null, NOW - 7200, null);
    assertThat(onlyEnd.start()).isEqualTo(NOW - 10800);
  }

  @Test
  void accumulationsDefaultToMinutesHoursOrDaysByTheLengthOfTheRange() {
    assertThat(of(Scope.BASIN, "append-ops", NOW - 6 * 3600, NOW, null).interval())
        .isEqualTo(TimeseriesInterval.MINUTE);
    assertThat(of(Scope.BASIN, "append-ops", NOW - 6 * 3600 - 1, NOW, null).interval())
        .isEqualTo(TimeseriesInterval.HOUR);
    assertThat(of(Scope.BASIN, "append-ops", NOW - 8 * 86400, NOW, null).interval())
        .isEqualTo(TimeseriesInterval.DAY);
    assertThat(of(Scope.BASIN, "read-ops", NOW - 60, NOW, "day").interval())
        .isEqualTo(TimeseriesInterval.DAY);
  }

  @Test
  void storageSetsUseTheirOnlyIntervalAndRefuseOthers() {
    assertThat(of(Scope.BASIN, "storage", NOW - 60, NOW, null).interval())
        .isEqualTo(TimeseriesInterval.HOUR);
    assertThat(of(Scope.STREAM, "storage", NOW - 86400 * 20, NOW, null).interval())
        .isEqualTo(TimeseriesInterval.MINUTE);
    assertInvalid(() -> of(Scope.BASIN, "storage", NOW - 60, NOW, "minute"), "only the hour");
    assertInvalid(() -> of(Scope.STREAM, "storage", NOW - 60, NOW, "hour"), "only the minute");
  }

  @Test
  void activeBasinsIsALabelAndTakesNoInterval() {
    MetricsQuery q = of(Scope.ACCOUNT, "active-basins", NOW - 60, NOW, null);
    assertThat(q.interval()).isNull();
    assertInvalid(() -> of(Scope.ACCOUNT, "active-basins", NOW - 60, NOW, "hour"), "no interval");
  }

  @Test
  void setsAreKnownOnlyAtTheirOwnScope() {
    assertInvalid(() -> of(Scope.ACCOUNT, "storage", null, null, null), "unknown metric set");
    assertInvalid(() -> of(Scope.STREAM, "append-ops", null, null, null), "storage");
    assertInvalid(() -> of(Scope.BASIN, "active-basins", null, null, null), "basin-ops");
    assertInvalid(() -> of(Scope.BASIN, "append-ops", null, null, "week"), "unknown interval");
  }

  @Test
  void invertedFutureAndTooLongRangesAreInvalid() {
    assertInvalid(() -> of(Scope.ACCOUNT, "account-ops", NOW, NOW - 1, null), "must not be after");
    assertInvalid(
        () -> of(Scope.ACCOUNT, "account-ops", NOW - 60, NOW + 61, null), "in the future");
    assertThat(of(Scope.ACCOUNT, "account-ops", NOW - 60, NOW + 60, null).end())
        .isEqualTo(NOW + 60);
    assertInvalid(
        () -> of(Scope.ACCOUNT, "account-ops", NOW - 30 * 86400 - 1, NOW, null), "30 days");
    assertThat(of(Scope.ACCOUNT, "account-ops", NOW - 30 * 86400, NOW, null).start())
        .isEqualTo(NOW - 30 * 86400);
  }

  @Test
  void anEmptyRangeIsAllowed() {
    MetricsQuery q = of(Scope.BASIN, "append-ops", 0L, 0L, null);
    assertThat(q.start()).isZero();
    assertThat(q.end()).isZero();
  }

  @Test
  void bucketsAreAlignedToUtcIntervals() {
    assertThat(TimeseriesInterval.MINUTE.bucketOf(125)).isEqualTo(120);
    assertThat(TimeseriesInterval.HOUR.bucketOf(7199)).isEqualTo(3600);
    assertThat(TimeseriesInterval.DAY.bucketOf(86400 * 3 + 5)).isEqualTo(86400 * 3);
  }
}
