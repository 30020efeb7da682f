package io.millrace.engine.read;

import io.millrace.core.api.ReadRequest;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.metadata.SegmentRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Plans a catch-up read of a stream entity (architecture section 6): the segments that may hold
 * records at or after the start, as many as one unary batch needs, then the slice of the entity's
 * unflushed durable records from the start on. Pure: the entity calls it with its own state.
 */
public final class ReadPlanner {
  private ReadPlanner() {}

  /**
   * The plan for catch-up read {@code c} of {@code request} over {@code segments} (in order) and
   * the unflushed records {@code memory} (in order, after the segments), up to durable {@code
   * tail}.
   */
  public static ReadPlan plan(
      ReadRules.CatchUp c,
      ReadRequest request,
      List<SegmentRecord> segments,
      List<SequencedRecord> memory,
      StreamPosition tail) {
    int cap = ReadRules.unaryCount(request);
    int from = memoryStart(c, memory);
    int to = Math.min(memory.size(), from + cap);
    return new ReadPlan(
        c, segments(c, segments, cap), new ArrayList<>(memory.subList(from, to)), tail);
  }

  /** The segments that may hold records of the read, until they cover {@code cap} records. */
  private static List<SegmentRecord> segments(
      ReadRules.CatchUp c, List<SegmentRecord> segments, int cap) {
    List<SegmentRecord> segs = new ArrayList<>();
    long covered = 0;
    for (SegmentRecord s : segments) {
      if (covered >= cap) {
        break; // enough records for this batch; later segments are not needed
      }
      if (s.lastSeqNum() < c.trimPoint()) {
        continue;
      }
      boolean relevant =
          c.startSeqNum() != null
              ? s.lastSeqNum() >= c.startSeqNum()
              : s.lastTimestamp() >= c.startTimestamp();
      if (relevant) {
        segs.add(s);
        long from = Math.max(s.firstSeqNum(), c.trimPoint());
        if (c.startSeqNum() != null) {
          from = Math.max(from, c.startSeqNum());
        } else if (segs.size() == 1) {
          from = s.lastSeqNum(); // only the last record is sure to match the timestamp
        }
        covered += s.lastSeqNum() - from + 1;
      }
    }
    return segs;
  }

  /** The index of the first unflushed record the read may return (start and trim point). */
  private static int memoryStart(ReadRules.CatchUp c, List<SequencedRecord> memory) {
    if (memory.isEmpty()) {
      return 0;
    }
    int from = 0;
    long first = memory.get(0).seqNum();
    if (c.startSeqNum() != null) {
      from = (int) Math.max(0, Math.min(memory.size(), c.startSeqNum() - first));
    } else {
      while (from < memory.size() && memory.get(from).timestamp() < c.startTimestamp()) {
        from++;
      }
    }
    if (c.trimPoint() > first) {
      from = (int) Math.max(from, Math.min(memory.size(), c.trimPoint() - first));
    }
    return from;
  }
}
