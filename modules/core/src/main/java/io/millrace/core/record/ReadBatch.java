package io.millrace.core.record;

import java.util.List;

/** Records returned by a read; {@code tail} is set only when they came from live following. */
public record ReadBatch(List<SequencedRecord> records, StreamPosition tail) {
  public ReadBatch {
    records = List.copyOf(records);
  }
}
