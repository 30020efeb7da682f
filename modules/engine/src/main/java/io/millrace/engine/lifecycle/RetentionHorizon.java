package io.millrace.engine.lifecycle;

import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.SegmentRecord;
import java.util.List;

/**
 * Where an age-based retention policy cuts a stream (issue 9, docs/adr/0006): a record is expired
 * once its <b>timestamp</b> is older than the retention age ({@code timestamp < now - age}). Record
 * timestamps never decrease within a stream, so the expired records are always a prefix. Pure.
 *
 * <p>Granularity: the sweep deletes a whole segment once its newest record ({@code last_timestamp})
 * is expired; the records of a partly expired segment (and of unflushed records) are hidden at read
 * time by the cutoff.
 */
public final class RetentionHorizon {
  private RetentionHorizon() {}

  /** No cutoff: infinite retention. */
  public static final long NONE = Long.MIN_VALUE;

  /**
   * The timestamp below which records are expired at {@code nowMillis} for a retention age of
   * {@code ageSecs} ({@code null}: infinite retention), or {@link #NONE}.
   */
  public static long cutoff(Long ageSecs, long nowMillis) {
    if (ageSecs == null || ageSecs <= 0) {
      return NONE;
    }
    long age = ageSecs > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : ageSecs * 1000;
    return nowMillis - age < nowMillis ? nowMillis - age : NONE;
  }

  /** True if every record of {@code segment} is expired under {@code cutoff}. */
  public static boolean expired(SegmentRecord segment, long cutoff) {
    return cutoff != NONE && segment.lastTimestamp() < cutoff;
  }

  /**
   * A lower bound of the first retained seq num: the first seq num of the first segment that is not
   * wholly expired, else of the first unflushed record that is not expired, else {@code nextSeqNum}
   * (every record is expired). Exact except inside a partly expired segment, whose expired records
   * the read filters by timestamp.
   */
  public static long firstRetained(
      long cutoff, List<SegmentRecord> segments, List<SequencedRecord> memory, long nextSeqNum) {
    if (cutoff == NONE) {
      return 0;
    }
    for (SegmentRecord s : segments) {
      if (!expired(s, cutoff)) {
        return s.firstSeqNum();
      }
    }
    for (SequencedRecord r : memory) {
      if (r.timestamp() >= cutoff) {
        return r.seqNum();
      }
    }
    return nextSeqNum;
  }
}
