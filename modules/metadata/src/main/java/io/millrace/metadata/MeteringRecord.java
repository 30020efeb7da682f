package io.millrace.metadata;

/**
 * Row of {@code metering} (docs/metadata.md): one value of one metering series in one time bucket,
 * as one writer recorded it.
 *
 * @param basin the basin, or "" for an account-level series
 * @param stream the stream name, or "" for a basin- or account-level series
 * @param metric the series family, e.g. {@code append_ops} or {@code storage}
 * @param width the bucket width in seconds (60 or 3600)
 * @param bucket the bucket start, Unix seconds, a multiple of {@code width}
 * @param label the series within the family, e.g. {@code express}, or "" (for {@code
 *     active_basins}: the basin name)
 * @param node the writer: a node incarnation id for counters (each node writes only its own rows,
 *     absolute values, so no write reads another's), "" for sampled gauges
 * @param value the counter total or the sampled gauge value
 */
public record MeteringRecord(
    String basin,
    String stream,
    String metric,
    long width,
    long bucket,
    String label,
    String node,
    long value) {

  /** The row's values in the column order of {@code metering} (its components' order). */
  public Object[] columnValues() {
    return new Object[] {basin, stream, metric, width, bucket, label, node, value};
  }
}
