package io.millrace.format;

import io.millrace.core.record.SequencedRecord;
import java.util.List;

/** TEMPORARY stand-in until the format module lands (API from entrypoints.md). */
public record StreamSection(String streamId, long epoch, List<SequencedRecord> records) {}
