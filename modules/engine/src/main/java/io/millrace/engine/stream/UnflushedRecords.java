package io.millrace.engine.stream;

import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.SegmentRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A stream's durable records that are not in a segment yet, in seq num order, with their metered
 * size and the time the oldest of them became durable (for the size and age bounds of a segment
 * flush).
 */
final class UnflushedRecords {
  private final String streamId;
  private final ArrayList<SequencedRecord> records = new ArrayList<>();
  private long bytes;
  private long oldestAt = -1;

  UnflushedRecords(String streamId) {
    this.streamId = streamId;
  }

  /** {@code durable} became durable at {@code now} (recovered, or acknowledged). */
  void add(List<SequencedRecord> durable, long now) {
    if (records.isEmpty() && !durable.isEmpty()) {
      oldestAt = now;
    }
    records.addAll(durable);
    for (SequencedRecord r : durable) {
      bytes += r.meteredSize();
    }
  }

  boolean isEmpty() {
    return records.isEmpty();
  }

  /** The metered bytes of the records. */
  long bytes() {
    return bytes;
  }

  /** Whether the oldest record became durable at least {@code ageMillis} before {@code now}. */
  boolean olderThan(long ageMillis, long now) {
    return !records.isEmpty() && oldestAt >= 0 && now - oldestAt >= ageMillis;
  }

  /** The records, read-only (valid until the next change). */
  List<SequencedRecord> view() {
    return Collections.unmodifiableList(records);
  }

  /** A copy of the records. */
  List<SequencedRecord> snapshot() {
    return List.copyOf(records);
  }

  /** {@code segment}, the head of the records, was flushed at {@code now}: drop its records. */
  void flushed(SegmentRecord segment, long now) {
    int n = (int) (segment.lastSeqNum() - segment.firstSeqNum() + 1);
    if (records.size() < n || records.get(0).seqNum() != segment.firstSeqNum()) {
      throw new IllegalStateException(
          "stream "
              + streamId
              + ": flushed segment "
              + segment.objectKey()
              + " is not memory's head");
    }
    for (int i = 0; i < n; i++) {
      bytes -= records.get(i).meteredSize();
    }
    records.subList(0, n).clear();
    oldestAt = records.isEmpty() ? -1 : now;
  }
}
