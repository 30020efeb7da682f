package io.millrace.metadata;

/**
 * Row of {@code stream_state}: the stream as of its last segment. {@code flushedNextSeqNum} is one
 * past the last record in segments (0 if none); {@code tailSeqNum}/{@code tailTimestamp}, {@code
 * fencingToken} and {@code trimPoint} are the stream's values as of that record; {@code epoch} is
 * the latest activation epoch that wrote it.
 */
public record StreamStateRecord(
    String streamId,
    long flushedNextSeqNum,
    long tailSeqNum,
    long tailTimestamp,
    String fencingToken,
    long trimPoint,
    long epoch) {

  /**
   * True if this row would move a stored row at {@code storedEpoch} and {@code
   * storedFlushedNextSeqNum} back: the stored row has a higher epoch, or the same epoch and a
   * higher flushed position. A fenced put of this row is then refused (docs/metadata.md, "Fenced
   * owner writes").
   */
  public boolean regresses(long storedEpoch, long storedFlushedNextSeqNum) {
    return storedEpoch > epoch
        || (storedEpoch == epoch && storedFlushedNextSeqNum > flushedNextSeqNum);
  }

  /** The row's values in the column order of {@code stream_state} (its components' order). */
  public Object[] columnValues() {
    return new Object[] {
      streamId, flushedNextSeqNum, tailSeqNum, tailTimestamp, fencingToken, trimPoint, epoch
    };
  }
}
