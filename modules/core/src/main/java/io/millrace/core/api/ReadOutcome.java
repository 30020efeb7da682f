package io.millrace.core.api;

import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.StreamPosition;

/** The outcome of a unary read. */
public sealed interface ReadOutcome {
  record Batch(ReadBatch batch) implements ReadOutcome {}

  /** 416 {@code {"tail": ...}}: the start is at or past the tail and the read cannot follow. */
  record RangeNotSatisfiable(StreamPosition tail) implements ReadOutcome {}
}
