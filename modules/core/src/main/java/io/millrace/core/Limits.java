package io.millrace.core;

/** The numeric limits of the S2 v1 API (spec section 1.2 and 1.1). */
public final class Limits {
  private Limits() {}

  /** Most records in one append batch, and in one read batch. */
  public static final int MAX_BATCH_RECORDS = 1000;

  /** Most metered bytes in one append batch, in one record, and in one read batch. */
  public static final int MAX_BATCH_METERED_BYTES = 1024 * 1024;

  /** Most entries a list call returns; also its default limit. */
  public static final int MAX_LIST_LIMIT = 1000;

  /** Longest {@code wait} of a unary read, seconds. */
  public static final int MAX_UNARY_WAIT_SECS = 60;

  /** Longest fencing token, bytes. */
  public static final int MAX_FENCING_TOKEN_BYTES = 36;

  /** Longest {@code s2-request-token}, bytes. */
  public static final int MAX_REQUEST_TOKEN_BYTES = 36;

  public static final int MIN_BASIN_NAME_BYTES = 8;
  public static final int MAX_BASIN_NAME_BYTES = 48;
  public static final int MAX_STREAM_NAME_BYTES = 512;
}
