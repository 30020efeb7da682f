package io.millrace.core.api;

import io.millrace.core.record.AppendAck;

/**
 * The outcome of an append that reached its stream. Other failures (not found, invalid, storage)
 * complete the future exceptionally with an {@link io.millrace.core.S2Exception}.
 */
public sealed interface AppendOutcome {
  /** Durable; acked. */
  record Appended(AppendAck ack) implements AppendOutcome {}

  /** 412 {@code {"seq_num_mismatch": expected}}: the next seq num the batch would have got. */
  record SeqNumMismatch(long expectedSeqNum) implements AppendOutcome {}

  /** 412 {@code {"fencing_token_mismatch": current}}. */
  record FencingTokenMismatch(String currentToken) implements AppendOutcome {}
}
