package io.millrace.format;

/**
 * What a segment's header says about it.
 *
 * @param streamId the stream's id
 * @param firstSeqNum seq num of the first record
 * @param lastSeqNum seq num of the last record (inclusive)
 * @param firstTimestamp timestamp of the first record
 * @param lastTimestamp timestamp of the last record
 * @param recordCount number of records, {@code lastSeqNum - firstSeqNum + 1}
 */
public record SegmentMeta(
    String streamId,
    long firstSeqNum,
    long lastSeqNum,
    long firstTimestamp,
    long lastTimestamp,
    int recordCount) {}
