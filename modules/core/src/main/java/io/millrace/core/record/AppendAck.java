package io.millrace.core.record;

/**
 * The acknowledgement of an append batch: {@code start} is the first record's position, {@code
 * end.seqNum} is one past the last record and {@code end.timestamp} the last record's timestamp,
 * {@code tail} the stream's tail when acked (may be past end under concurrency).
 */
public record AppendAck(StreamPosition start, StreamPosition end, StreamPosition tail) {}
