package io.millrace.verification;

/** A record as a read returned it: its seq num and content hash (see {@link RecordHash}). */
public record SequencedRecord(long seqNum, long hash) {

  public SequencedRecord {
    if (seqNum < 0) {
      throw new IllegalArgumentException("seqNum must be >= 0, was " + seqNum);
    }
  }
}
