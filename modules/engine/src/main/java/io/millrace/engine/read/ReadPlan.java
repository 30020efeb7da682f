package io.millrace.engine.read;

import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.engine.EngineSerializable;
import io.millrace.metadata.SegmentRecord;
import java.util.List;

/**
 * What a catch-up read fetches, handed out by a stream entity: the segments that may hold records
 * at or after the start (in order), then the entity's durable records after them, up to the durable
 * tail. The bytes are fetched outside the entity by {@link SegmentReader}.
 */
public record ReadPlan(
    ReadRules.CatchUp start,
    List<SegmentRecord> segments,
    List<SequencedRecord> memory,
    StreamPosition tail)
    implements EngineSerializable {
  public ReadPlan {
    segments = List.copyOf(segments);
    memory = List.copyOf(memory);
  }
}
