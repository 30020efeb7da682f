package io.millrace.verification;

import java.util.List;

/**
 * One operation of a history: a call by a client, its outcome, and the times (nanos, any common
 * clock) at which the client invoked it and saw its completion.
 *
 * <p>For an {@link Outcome.Indefinite} outcome {@code completedAt} is when the client gave up; the
 * checker treats such an append as completing at +infinity.
 */
public record Operation(
    int id, int client, Call call, Outcome outcome, long invokedAt, long completedAt) {

  public Operation {
    if (completedAt < invokedAt) {
      throw new IllegalArgumentException(
          "operation "
              + id
              + " completed at "
              + completedAt
              + " before its invocation at "
              + invokedAt);
    }
    if (!fits(call, outcome)) {
      throw new IllegalArgumentException(
          "operation " + id + ": outcome " + outcome + " does not answer " + call);
    }
  }

  private static boolean fits(Call call, Outcome outcome) {
    if (outcome instanceof Outcome.Failed || outcome instanceof Outcome.Indefinite) {
      return true;
    }
    if (call instanceof Call.Append) {
      return outcome instanceof Outcome.Acked
          || outcome instanceof Outcome.SeqNumMismatch
          || outcome instanceof Outcome.FencingTokenMismatch;
    }
    if (call instanceof Call.Read) {
      return outcome instanceof Outcome.Records || outcome instanceof Outcome.OutOfRange;
    }
    return outcome instanceof Outcome.Tail;
  }

  public String stream() {
    return call.stream();
  }

  /** Whether the outcome leaves open if and when the operation took effect. */
  public boolean isIndefinite() {
    return outcome instanceof Outcome.Indefinite;
  }

  /** One line, e.g. {@code #12 client 3 append 3 records [match 10] -> acked 10..12}. */
  public String describe() {
    return "#" + id + " client " + client + " " + describeCall() + " -> " + describeOutcome();
  }

  String describeCall() {
    if (call instanceof Call.Append append) {
      StringBuilder text = new StringBuilder("append ").append(records(append.records().size()));
      append.matchSeqNum().ifPresent(m -> text.append(" [match ").append(m).append(']'));
      append.fencingToken().ifPresent(t -> text.append(" [token '").append(t).append("']"));
      for (AppendRecord record : append.records()) {
        if (record instanceof AppendRecord.Fence fence) {
          text.append(" +fence '").append(fence.token()).append('\'');
        } else if (record instanceof AppendRecord.Trim trim) {
          text.append(" +trim ").append(trim.trimPoint());
        }
      }
      return text.toString();
    }
    if (call instanceof Call.Read read) {
      return "read from "
          + read.startSeqNum()
          + (read.limit().isPresent() ? " limit " + read.limit().getAsInt() : "");
    }
    return "check-tail";
  }

  String describeOutcome() {
    if (outcome instanceof Outcome.Acked acked) {
      return "acked " + range(acked.start(), acked.end());
    }
    if (outcome instanceof Outcome.SeqNumMismatch mismatch) {
      return "412 seq_num_mismatch " + mismatch.reportedTail();
    }
    if (outcome instanceof Outcome.FencingTokenMismatch mismatch) {
      return "412 fencing_token_mismatch"
          + mismatch.currentToken().map(t -> " '" + t + "'").orElse("");
    }
    if (outcome instanceof Outcome.Records records) {
      List<SequencedRecord> list = records.records();
      String text =
          list.isEmpty()
              ? "no records"
              : records(list.size())
                  + " "
                  + range(list.get(0).seqNum(), list.get(list.size() - 1).seqNum() + 1);
      return text + (records.tail().isPresent() ? ", tail " + records.tail().getAsLong() : "");
    }
    if (outcome instanceof Outcome.OutOfRange outOfRange) {
      return "416 tail " + outOfRange.tail();
    }
    if (outcome instanceof Outcome.Tail tail) {
      return "tail " + tail.seqNum();
    }
    if (outcome instanceof Outcome.Failed failed) {
      return "failed (" + failed.reason() + ")";
    }
    return "indefinite (" + ((Outcome.Indefinite) outcome).reason() + ")";
  }

  /** A half-open seq num range shown inclusively: {@code 10..12} for [10, 13). */
  static String range(long start, long end) {
    if (end - start == 1) {
      return "seq " + start;
    }
    return end > start ? "seq " + start + ".." + (end - 1) : "empty range at " + start;
  }

  private static String records(int count) {
    return count == 1 ? "1 record" : count + " records";
  }
}
