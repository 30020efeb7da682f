package io.millrace.core.record;

/**
 * A position in a stream. As a tail: the next seq num to be assigned and the timestamp of the last
 * record. As a record position: that record's seq num and timestamp.
 */
public record StreamPosition(long seqNum, long timestamp) {
  public static final StreamPosition ZERO = new StreamPosition(0, 0);
}
