package io.millrace.metadata;

/** Row of {@code segments}: records first..last (inclusive) of a stream in one object. */
public record SegmentRecord(
    String streamId,
    long firstSeqNum,
    long lastSeqNum,
    long firstTimestamp,
    long lastTimestamp,
    String objectKey,
    long bytes) {

  /** The row's values in the column order of {@code segments} (its components' order). */
  public Object[] columnValues() {
    return new Object[] {
      streamId, firstSeqNum, lastSeqNum, firstTimestamp, lastTimestamp, objectKey, bytes
    };
  }
}
