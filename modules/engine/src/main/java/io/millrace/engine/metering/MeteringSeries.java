package io.millrace.engine.metering;

/**
 * The names of the metering series in the {@code metering} table (docs/metrics.md): a family
 * ({@code metric} column) and, within it, a label. What each one counts is defined here and in the
 * docs, nowhere else.
 */
public final class MeteringSeries {
  private MeteringSeries() {}

  /** Acknowledged append batches (unary or session), labelled by storage class. */
  public static final String APPEND_OPS = "append_ops";

  /** Metered bytes (spec 1.3) of acknowledged append batches, labelled by storage class. */
  public static final String APPEND_THROUGHPUT = "append_throughput";

  /** Read operations: one per unary read request, one per read session; labels below. */
  public static final String READ_OPS = "read_ops";

  /** Metered bytes of the records every read (unary or session) returned; no label. */
  public static final String READ_THROUGHPUT = "read_throughput";

  /** Basin-level control operations (on streams), labelled by operation. */
  public static final String BASIN_OPS = "basin_ops";

  /** Account-level control operations (on basins), labelled by operation; basin "". */
  public static final String ACCOUNT_OPS = "account_ops";

  /** Sampled stored bytes: per stream (minute buckets) and per basin (hour buckets). */
  public static final String STORAGE = "storage";

  /** Basins with any metered activity or stored bytes in an hour; basin "", label = basin. */
  public static final String ACTIVE_BASINS = "active_basins";

  public static final String UNARY = "unary";
  public static final String STREAMING = "streaming";

  /** Operations counted in {@link #ACCOUNT_OPS}, in the order the API lists them. */
  public enum AccountOp {
    LIST_BASINS,
    CREATE_BASIN,
    GET_BASIN_CONFIG,
    ENSURE_BASIN,
    RECONFIGURE_BASIN,
    DELETE_BASIN;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Operations counted in {@link #BASIN_OPS}, in the order the API lists them. */
  public enum BasinOp {
    LIST_STREAMS,
    CREATE_STREAM,
    GET_STREAM_CONFIG,
    ENSURE_STREAM,
    RECONFIGURE_STREAM,
    DELETE_STREAM;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
