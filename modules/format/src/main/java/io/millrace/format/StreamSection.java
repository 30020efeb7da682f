package io.millrace.format;

import io.millrace.core.record.SequencedRecord;
import java.util.List;
import java.util.Objects;

/**
 * The records of one stream inside one WAL chunk, written under one streamlet epoch.
 *
 * @param streamId the stream's id (not its name)
 * @param epoch the streamlet epoch the records were appended under
 * @param records the records in seq num order
 */
public record StreamSection(String streamId, long epoch, List<SequencedRecord> records) {
  public StreamSection {
    Objects.requireNonNull(streamId, "streamId");
    records = List.copyOf(records);
  }
}
