package io.millrace.engine.metering;

import static io.millrace.engine.metering.MeteringStoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.metrics.Metric;
import io.millrace.core.metrics.MetricSet.Scope;
import io.millrace.core.metrics.MetricSetResponse;
import io.millrace.core.metrics.MetricUnit;
import io.millrace.core.metrics.MetricsQuery;
import io.millrace.core.metrics.TimeseriesInterval;
import io.millrace.metadata.MeteringRecord;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsQueriesTest {
  private static final long DAY = 1_800_000_000L / 86400 * 86400;
  private static final long NOW = DAY + 3 * 3600 + 30 * 60;

  private final MeteringStoreFixture fx = new MeteringStoreFixture();
  private final MetricsQueries queries = new MetricsQueries(fx.store);

  @AfterEach
  void close() {
    fx.close();
  }

  private static MetricsQuery q(Scope scope, String set, long start, long end, String interval) {
    return MetricsQuery.of(scope, set, start, end, interval, NOW);
  }

  private void put(MeteringRecord... rows) {
    await(fx.store.putMetering(List.of(rows)));
  }

  /** Counter rows as two nodes' aggregators write them (minute and hour rows). */
  private void counted(String node, String basin, String metric, String label, long at, long n) {
    UsageAggregator agg = new UsageAggregator(new MutableClock(at), node);
    agg.add(basin, metric, label, n);
    await(fx.store.putMetering(agg.rows()));
  }

  @Test
  void appendOpsAreSummedOverNodesPerMinuteWithOneSeriesPerStorageClass() {
    fx.basin("orders-basin");
    counted("n1", "orders-basin", "append_ops", "express", DAY + 60, 2);
    counted("n2", "orders-basin", "append_ops", "express", DAY + 70, 3);
    counted("n1", "orders-basin", "append_ops", "standard", DAY + 200, 1);

    MetricSetResponse r =
        await(
            queries.basinMetrics("orders-basin", q(Scope.BASIN, "append-ops", DAY, NOW, "minute")));

    assertThat(r.values())
        .containsExactly(
            new Metric.Accumulation(
                "standard",
                MetricUnit.OPERATIONS,
                TimeseriesInterval.MINUTE,
                List.of(new Metric.Point(DAY + 180, 1))),
            new Metric.Accumulation(
                "express",
                MetricUnit.OPERATIONS,
                TimeseriesInterval.MINUTE,
                List.of(new Metric.Point(DAY + 60, 5))));
  }

  @Test
  void hourAndDayIntervalsSumTheHourRows() {
    fx.basin("orders-basin");
    counted("n1", "orders-basin", "read_throughput", "", DAY + 10, 100);
    counted("n1", "orders-basin", "read_throughput", "", DAY + 3600 + 10, 50);
    counted("n2", "orders-basin", "read_throughput", "", DAY + 3600 + 20, 7);

    MetricSetResponse hourly =
        await(
            queries.basinMetrics(
                "orders-basin", q(Scope.BASIN, "read-throughput", DAY, NOW, "hour")));
    assertThat(hourly.values())
        .containsExactly(
            new Metric.Accumulation(
                "read_throughput",
                MetricUnit.BYTES,
                TimeseriesInterval.HOUR,
                List.of(new Metric.Point(DAY, 100), new Metric.Point(DAY + 3600, 57))));

    MetricSetResponse daily =
        await(
            queries.basinMetrics(
                "orders-basin", q(Scope.BASIN, "read-throughput", DAY, NOW, "day")));
    assertThat(((Metric.Accumulation) daily.values().get(0)).values())
        .containsExactly(new Metric.Point(DAY, 157));
  }

  @Test
  void bucketsOutsideTheRangeAreLeftOut() {
    fx.basin("orders-basin");
    counted("n1", "orders-basin", "basin_ops", "create_stream", DAY + 60, 1);
    counted("n1", "orders-basin", "basin_ops", "create_stream", DAY + 600, 1);
    counted("n1", "orders-basin", "basin_ops", "create_stream", DAY + 1200, 1);

    MetricSetResponse r =
        await(
            queries.basinMetrics(
                "orders-basin", q(Scope.BASIN, "basin-ops", DAY + 599, DAY + 1199, "minute")));
    Metric.Accumulation create =
        (Metric.Accumulation)
            r.values().stream()
                .filter(m -> ((Metric.Accumulation) m).name().equals("create_stream"))
                .findFirst()
                .orElseThrow();
    assertThat(create.values()).containsExactly(new Metric.Point(DAY + 600, 1));
    assertThat(r.values()).hasSize(MeteringSeries.BasinOp.values().length);
  }

  @Test
  void accountOpsListEveryOperationAndActiveBasinsAreTheBasinsSeenInTheRange() {
    counted("n1", "", "account_ops", "create_basin", DAY + 60, 2);
    counted("n1", "orders-basin", "append_ops", "express", DAY + 60, 1);
    counted("n1", "billing-basin", "read_ops", "unary", DAY + 7200, 1);

    MetricSetResponse ops =
        await(queries.accountMetrics(q(Scope.ACCOUNT, "account-ops", DAY, NOW, "hour")));
    assertThat(ops.values()).hasSize(MeteringSeries.AccountOp.values().length);
    assertThat(ops.values())
        .contains(
            new Metric.Accumulation(
                "create_basin",
                MetricUnit.OPERATIONS,
                TimeseriesInterval.HOUR,
                List.of(new Metric.Point(DAY, 2))));

    assertThat(
            await(queries.accountMetrics(q(Scope.ACCOUNT, "active-basins", DAY, NOW, null)))
                .values())
        .containsExactly(
            new Metric.Label("active_basins", List.of("billing-basin", "orders-basin")));
    assertThat(
            await(queries.accountMetrics(q(Scope.ACCOUNT, "active-basins", DAY, DAY + 3599, null)))
                .values())
        .containsExactly(new Metric.Label("active_basins", List.of("orders-basin")));
  }

  @Test
  void storageGaugesReadTheSampledValues() {
    fx.basin("orders-basin");
    fx.stream("orders-basin", "a/b", "sid-1");
    put(
        new MeteringRecord("orders-basin", "a/b", "storage", 60, DAY + 60, "", "", 10),
        new MeteringRecord("orders-basin", "a/b", "storage", 60, DAY + 120, "", "", 30),
        new MeteringRecord("orders-basin", "", "storage", 3600, DAY, "", "", 30));

    assertThat(
            await(
                    queries.streamMetrics(
                        "orders-basin", "a/b", q(Scope.STREAM, "storage", DAY, NOW, null)))
                .values())
        .containsExactly(
            new Metric.Gauge(
                "storage",
                MetricUnit.BYTES,
                List.of(new Metric.Point(DAY + 60, 10), new Metric.Point(DAY + 120, 30))));
    assertThat(
            await(queries.basinMetrics("orders-basin", q(Scope.BASIN, "storage", DAY, NOW, null)))
                .values())
        .containsExactly(
            new Metric.Gauge("storage", MetricUnit.BYTES, List.of(new Metric.Point(DAY, 30))));
  }

  @Test
  void unknownBasinsAndStreamsAreNotFound() {
    fx.basin("orders-basin");
    assertFails(
        () -> queries.basinMetrics("no-such-basin", q(Scope.BASIN, "storage", DAY, NOW, null)),
        ErrorCode.BASIN_NOT_FOUND);
    assertFails(
        () ->
            queries.streamMetrics("no-such-basin", "a", q(Scope.STREAM, "storage", DAY, NOW, null)),
        ErrorCode.BASIN_NOT_FOUND);
    assertFails(
        () ->
            queries.streamMetrics(
                "orders-basin", "missing", q(Scope.STREAM, "storage", DAY, NOW, null)),
        ErrorCode.STREAM_NOT_FOUND);
  }

  private static void assertFails(
      java.util.function.Supplier<java.util.concurrent.CompletionStage<?>> call, ErrorCode code) {
    assertThatThrownBy(() -> call.get().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(S2Exception.class)
        .satisfies(e -> assertThat(((S2Exception) e).code()).isEqualTo(code));
  }
}
