package io.millrace.verification;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** What a client saw: the completion half of an {@link Operation}. */
public sealed interface Outcome {

  /** An append was acknowledged: its records got seq nums {@code start .. end - 1}. */
  record Acked(long start, long end) implements Outcome {}

  /** 412 {@code seq_num_mismatch}: the append was not applied; the server reported its tail. */
  record SeqNumMismatch(long reportedTail) implements Outcome {}

  /**
   * 412 {@code fencing_token_mismatch}: the append was not applied; the server reported its current
   * token (empty if the client did not record it).
   */
  record FencingTokenMismatch(Optional<String> currentToken) implements Outcome {}

  /**
   * A read returned these records (possibly none).
   *
   * @param tail the tail the response carried, if any
   */
  record Records(List<SequencedRecord> records, OptionalLong tail) implements Outcome {
    public Records {
      records = List.copyOf(records);
    }
  }

  /** 416: the read's start was at or beyond the tail, which the server reported. */
  record OutOfRange(long tail) implements Outcome {}

  /** A check-tail returned this tail seq num. */
  record Tail(long seqNum) implements Outcome {}

  /**
   * The operation definitely had no effect (a 4xx validation error, a 404, a failure before the
   * request was sent). The checker ignores such operations.
   */
  record Failed(String reason) implements Outcome {}

  /**
   * The client does not know whether the operation took effect (a timeout, a dropped connection, a
   * retryable 5xx that may have applied). An indefinite append may take effect at any point after
   * its invocation, or never; an indefinite read or check-tail tells nothing and is ignored.
   */
  record Indefinite(String reason) implements Outcome {}

  static Acked acked(long start, long end) {
    return new Acked(start, end);
  }

  static SeqNumMismatch seqNumMismatch(long reportedTail) {
    return new SeqNumMismatch(reportedTail);
  }

  static FencingTokenMismatch fencingTokenMismatch(String currentToken) {
    return new FencingTokenMismatch(Optional.of(currentToken));
  }

  static Records records(List<SequencedRecord> records) {
    return new Records(records, OptionalLong.empty());
  }

  static Records records(List<SequencedRecord> records, long tail) {
    return new Records(records, OptionalLong.of(tail));
  }

  static Tail tail(long seqNum) {
    return new Tail(seqNum);
  }

  static Failed failed(String reason) {
    return new Failed(reason);
  }

  static Indefinite indefinite(String reason) {
    return new Indefinite(reason);
  }
}
