package io.millrace.core.stream;

import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules of a unary read (spec section 6.2), without I/O: where it starts, when it is a 416,
 * when it waits at the tail, and which records fit its limits.
 */
public final class ReadRules {
  private ReadRules() {}

  /** What a read does, given the stream's durable tail and trim point. */
  public sealed interface Resolution {}

  /** 416: the start is past the tail, or at the tail and the read cannot follow. */
  public record NotSatisfiable(StreamPosition tail) implements Resolution {}

  /** A zero count or byte limit: an empty batch at once. */
  public record Empty() implements Resolution {}

  /**
   * Read stored records: from {@code startSeqNum} when set, else from the first record whose
   * timestamp is at least {@code startTimestamp}; never below {@code trimPoint} (the trim point or
   * the retention horizon, whichever is higher) and never a record older than {@code minTimestamp}
   * (the retention cutoff: records of a partly expired segment are hidden at read time).
   */
  public record CatchUp(Long startSeqNum, Long startTimestamp, long trimPoint, long minTimestamp)
      implements Resolution {

    /** A read of a stream without a retention cutoff. */
    public CatchUp(Long startSeqNum, Long startTimestamp, long trimPoint) {
      this(startSeqNum, startTimestamp, trimPoint, Long.MIN_VALUE);
    }

    /** True when {@code r} is at or after the start. */
    public boolean admits(SequencedRecord r) {
      if (r.seqNum() < trimPoint || r.timestamp() < minTimestamp) {
        return false;
      }
      return startSeqNum != null ? r.seqNum() >= startSeqNum : r.timestamp() >= startTimestamp;
    }
  }

  /**
   * At the tail with {@code wait} > 0: complete with the next durable batch or empty at timeout.
   */
  public record AwaitTail(long waitMillis) implements Resolution {}

  /** The record limit of a unary read: the requested count capped at 1000. */
  public static int unaryCount(ReadRequest r) {
    return (int) Math.min(r.count() == null ? Long.MAX_VALUE : r.count(), Limits.MAX_BATCH_RECORDS);
  }

  /** The metered byte limit of a unary read: the requested bytes capped at 1 MiB. */
  public static long unaryBytes(ReadRequest r) {
    return Math.min(
        r.bytes() == null ? Long.MAX_VALUE : r.bytes(), (long) Limits.MAX_BATCH_METERED_BYTES);
  }

  /** Throws 422 invalid for a timestamp start with {@code until} at or before it. */
  public static void validate(ReadRequest r) {
    if (r.start() instanceof ReadStart.Timestamp t
        && r.until() != null
        && r.until() <= t.timestamp()) {
      throw S2Exception.invalid("until must be greater than the start timestamp");
    }
  }

  /**
   * Resolves a unary read against the durable tail and trim point. A unary read can follow the tail
   * only with {@code wait} > 0.
   */
  public static Resolution resolve(ReadRequest r, StreamPosition tail, long trimPoint) {
    return resolve(r, tail, trimPoint, Long.MIN_VALUE);
  }

  /**
   * Resolves a unary read whose first readable record is at or after {@code firstReadable} (the
   * trim point or the retention horizon, whichever is higher: a start below it starts there, and at
   * the tail it is a 416 like any start at the tail) and which admits no record with a timestamp
   * below {@code minTimestamp} (the retention cutoff).
   */
  public static Resolution resolve(
      ReadRequest r, StreamPosition tail, long firstReadable, long minTimestamp) {
    long trimPoint = firstReadable;
    ReadStart start = r.start() == null ? new ReadStart.TailOffset(0) : r.start();
    Long startSeq;
    Long startTs = null;
    if (start instanceof ReadStart.SeqNum s) {
      if (s.seqNum() > tail.seqNum()) {
        if (!r.clamp()) {
          return new NotSatisfiable(tail);
        }
        startSeq = tail.seqNum();
      } else {
        startSeq = s.seqNum();
      }
    } else if (start instanceof ReadStart.Timestamp t) {
      if (t.timestamp() > tail.timestamp() && !r.clamp()) {
        return new NotSatisfiable(tail);
      }
      if (tail.seqNum() == 0 || t.timestamp() > tail.timestamp()) {
        startSeq = tail.seqNum();
      } else {
        startSeq = null;
        startTs = t.timestamp();
      }
    } else {
      long offset = ((ReadStart.TailOffset) start).offset();
      startSeq = Math.max(0, tail.seqNum() - offset);
    }
    if (startSeq != null) {
      startSeq = Math.max(startSeq, Math.min(trimPoint, tail.seqNum()));
      if (startSeq >= tail.seqNum()) {
        boolean canFollow = r.waitSecs() != null && r.waitSecs() > 0;
        if (!canFollow) {
          return new NotSatisfiable(tail);
        }
        if (unaryCount(r) == 0 || unaryBytes(r) == 0) {
          return new Empty();
        }
        return new AwaitTail(r.waitSecs() * 1000L);
      }
    }
    if (unaryCount(r) == 0 || unaryBytes(r) == 0) {
      return new Empty();
    }
    return new CatchUp(startSeq, startTs, trimPoint, minTimestamp);
  }

  /**
   * Collects records in order up to a count, a metered byte total (records are never split) and an
   * exclusive timestamp bound.
   */
  public static final class Collector {
    private final int maxCount;
    private final long maxBytes;
    private final Long until;
    private final List<SequencedRecord> records = new ArrayList<>();
    private long bytes;
    private boolean full;

    public Collector(int maxCount, long maxBytes, Long until) {
      this.maxCount = maxCount;
      this.maxBytes = maxBytes;
      this.until = until;
      this.full = maxCount <= 0 || maxBytes <= 0;
    }

    public static Collector forUnary(ReadRequest r) {
      return new Collector(unaryCount(r), unaryBytes(r), r.until());
    }

    /** Adds {@code r} if it fits; false once the batch is complete (nothing more will be added). */
    public boolean offer(SequencedRecord r) {
      if (full) {
        return false;
      }
      if (until != null && r.timestamp() >= until) {
        full = true;
        return false;
      }
      long size = r.meteredSize();
      if (bytes + size > maxBytes) {
        full = true;
        return false;
      }
      records.add(r);
      bytes += size;
      if (records.size() >= maxCount || bytes >= maxBytes) {
        full = true;
      }
      return true;
    }

    public boolean isFull() {
      return full;
    }

    public List<SequencedRecord> records() {
      return records;
    }
  }
}
