package io.millrace.metadata;

/**
 * Row of {@code streamlets}: one activation (epoch) of a stream on one channel incarnation,
 * starting at {@code firstChunkSeq} of that channel. {@code sealedNextSeqNum} and {@code
 * lastChunkSeq} are null until its owner seals it (rotation, a failed WAL write, its channel
 * stopping, a graceful stop: docs/metadata.md, "When a streamlet is sealed").
 */
public record StreamletRecord(
    String streamId,
    long epoch,
    String channelId,
    long firstChunkSeq,
    Long sealedNextSeqNum,
    Long lastChunkSeq) {}
