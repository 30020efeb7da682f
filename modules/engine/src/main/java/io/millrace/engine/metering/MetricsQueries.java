package io.millrace.engine.metering;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.MetricsService;
import io.millrace.core.config.StorageClass;
import io.millrace.core.metrics.Metric;
import io.millrace.core.metrics.MetricSetResponse;
import io.millrace.core.metrics.MetricUnit;
import io.millrace.core.metrics.MetricsQuery;
import io.millrace.core.metrics.TimeseriesInterval;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MeteringRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * The metrics API (spec section 4.4) over the {@code metering} table: each set reads one series
 * partition and aggregates it. Accumulations sum every node's rows per interval bucket (minute rows
 * for {@code minute}, hour rows for {@code hour} and {@code day}); gauges take the sampled value of
 * each bucket; {@code active-basins} is every basin with an {@code active_basins} row in the range.
 * Buckets listed are those overlapping {@code [start, end]}; buckets without data are left out.
 * What each series counts: {@link MeteringSeries} and docs/metrics.md.
 */
public final class MetricsQueries implements MetricsService {
  private final MetadataStore metadata;

  public MetricsQueries(MetadataStore metadata) {
    this.metadata = metadata;
  }

  @Override
  public CompletionStage<MetricSetResponse> accountMetrics(MetricsQuery q) {
    return switch (q.set()) {
      case ACTIVE_BASINS ->
          metadata
              .listMetering(
                  "",
                  "",
                  MeteringSeries.ACTIVE_BASINS,
                  3600,
                  TimeseriesInterval.HOUR.bucketOf(q.start()),
                  q.end())
              .thenApply(
                  rows -> {
                    TreeSet<String> basins = new TreeSet<>();
                    rows.forEach(r -> basins.add(r.label()));
                    return response(new Metric.Label("active_basins", List.copyOf(basins)));
                  });
      case ACCOUNT_OPS ->
          accumulations(
              "",
              MeteringSeries.ACCOUNT_OPS,
              labels(MeteringSeries.AccountOp.values()),
              MetricUnit.OPERATIONS,
              q);
      default -> throw new IllegalArgumentException("not an account set: " + q.set());
    };
  }

  @Override
  public CompletionStage<MetricSetResponse> basinMetrics(String basin, MetricsQuery q) {
    return requireBasin(basin)
        .thenCompose(
            x ->
                switch (q.set()) {
                  case BASIN_STORAGE -> gauge(basin, "", 3600, q);
                  case APPEND_OPS ->
                      accumulations(
                          basin,
                          MeteringSeries.APPEND_OPS,
                          storageClasses(),
                          MetricUnit.OPERATIONS,
                          q);
                  case APPEND_THROUGHPUT ->
                      accumulations(
                          basin,
                          MeteringSeries.APPEND_THROUGHPUT,
                          storageClasses(),
                          MetricUnit.BYTES,
                          q);
                  case READ_OPS ->
                      accumulations(
                          basin,
                          MeteringSeries.READ_OPS,
                          List.of(MeteringSeries.UNARY, MeteringSeries.STREAMING),
                          MetricUnit.OPERATIONS,
                          q);
                  case READ_THROUGHPUT ->
                      accumulations(
                          basin, MeteringSeries.READ_THROUGHPUT, List.of(""), MetricUnit.BYTES, q);
                  case BASIN_OPS ->
                      accumulations(
                          basin,
                          MeteringSeries.BASIN_OPS,
                          labels(MeteringSeries.BasinOp.values()),
                          MetricUnit.OPERATIONS,
                          q);
                  default -> throw new IllegalArgumentException("not a basin set: " + q.set());
                });
  }

  @Override
  public CompletionStage<MetricSetResponse> streamMetrics(
      String basin, String stream, MetricsQuery q) {
    return requireBasin(basin)
        .thenCompose(x -> metadata.getStream(basin, stream))
        .thenCompose(
            s -> {
              if (s.isEmpty()) {
                throw new S2Exception(
                    ErrorCode.STREAM_NOT_FOUND, "stream " + stream + " not found in " + basin);
              }
              return gauge(basin, stream, 60, q);
            });
  }

  private CompletionStage<Void> requireBasin(String basin) {
    return metadata
        .getBasin(basin)
        .thenApply(
            b -> {
              if (b.isEmpty()) {
                throw new S2Exception(ErrorCode.BASIN_NOT_FOUND, "basin " + basin + " not found");
              }
              return null;
            });
  }

  private CompletionStage<MetricSetResponse> gauge(
      String basin, String stream, long width, MetricsQuery q) {
    long from = Math.floorDiv(q.start(), width) * width;
    return metadata
        .listMetering(basin, stream, MeteringSeries.STORAGE, width, from, q.end())
        .thenApply(
            rows -> {
              TreeMap<Long, Long> byBucket = new TreeMap<>();
              for (MeteringRecord r : rows) {
                byBucket.merge(r.bucket(), r.value(), Math::max);
              }
              return response(
                  new Metric.Gauge(MeteringSeries.STORAGE, MetricUnit.BYTES, points(byBucket)));
            });
  }

  private CompletionStage<MetricSetResponse> accumulations(
      String basin, String metric, List<String> labels, MetricUnit unit, MetricsQuery q) {
    TimeseriesInterval interval = q.interval();
    long width = interval == TimeseriesInterval.MINUTE ? 60 : 3600;
    return metadata
        .listMetering(basin, "", metric, width, interval.bucketOf(q.start()), q.end())
        .thenApply(rows -> response(accumulate(rows, metric, labels, unit, interval)));
  }

  /**
   * One accumulation per label (in {@code labels} order; named by the label, or by the series
   * family when unlabelled): every row's value added to the interval bucket holding its bucket.
   */
  static List<Metric> accumulate(
      List<MeteringRecord> rows,
      String metric,
      List<String> labels,
      MetricUnit unit,
      TimeseriesInterval interval) {
    Map<String, TreeMap<Long, Long>> byLabel = new LinkedHashMap<>();
    labels.forEach(l -> byLabel.put(l, new TreeMap<>()));
    for (MeteringRecord r : rows) {
      TreeMap<Long, Long> series = byLabel.get(r.label());
      if (series != null) {
        series.merge(interval.bucketOf(r.bucket()), r.value(), Long::sum);
      }
    }
    List<Metric> out = new ArrayList<>();
    byLabel.forEach(
        (label, series) ->
            out.add(
                new Metric.Accumulation(
                    label.isEmpty() ? metric : label, unit, interval, points(series))));
    return out;
  }

  private static List<Metric.Point> points(TreeMap<Long, Long> series) {
    List<Metric.Point> points = new ArrayList<>(series.size());
    series.forEach((t, v) -> points.add(new Metric.Point(t, v)));
    return points;
  }

  private static MetricSetResponse response(Metric metric) {
    return new MetricSetResponse(List.of(metric));
  }

  private static MetricSetResponse response(List<Metric> metrics) {
    return new MetricSetResponse(metrics);
  }

  private static List<String> storageClasses() {
    return Arrays.stream(StorageClass.values())
        .map(c -> c.name().toLowerCase(Locale.ROOT))
        .toList();
  }

  private static List<String> labels(Enum<?>[] ops) {
    return Arrays.stream(ops).map(o -> o.name().toLowerCase(Locale.ROOT)).toList();
  }
}
