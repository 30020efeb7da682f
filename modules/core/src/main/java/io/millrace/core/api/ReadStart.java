package io.millrace.core.api;

/** Where a read starts (spec section 6.2): by seq num, by timestamp, or back from the tail. */
public sealed interface ReadStart {
  record SeqNum(long seqNum) implements ReadStart {}

  record Timestamp(long timestamp) implements ReadStart {}

  record TailOffset(long offset) implements ReadStart {}
}
