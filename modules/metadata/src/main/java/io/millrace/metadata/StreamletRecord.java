package io.millrace.metadata;

/**
 * Row of {@code streamlets}: one activation (epoch) of a stream on one channel incarnation,
 * starting at {@code firstChunkSeq} of that channel. {@code sealedNextSeqNum} and {@code
 * lastChunkSeq} are null until a graceful handoff seals it.
 */
public record StreamletRecord(
    String streamId,
    long epoch,
    String channelId,
    long firstChunkSeq,
    Long sealedNextSeqNum,
    Long lastChunkSeq) {}
