package io.millrace.core.stream;

import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.util.ArrayList;
import java.util.List;

/**
 * The sequencing decisions of one stream (spec section 6.1 steps 3 to 6), without actors or I/O.
 *
 * <p>It keeps two states: the <em>assigned</em> state (durable records plus every batch still in
 * flight) against which new appends are checked and numbered, and the <em>durable</em> state
 * (records acknowledged by storage). A batch is accepted with {@link #sequence}, which advances the
 * assigned state; it becomes durable with {@link #markDurable} (in log order); when storage fails,
 * {@link #rollback} drops every in-flight batch by resetting the assigned state to the durable one.
 */
public final class StreamSequencer {

  /**
   * A stream's state at some position: the next seq num, the last record's timestamp, the current
   * fencing token and the effective trim point.
   */
  public record State(long nextSeqNum, long lastTimestamp, String fencingToken, long trimPoint) {
    public static final State INITIAL = new State(0, 0, "", 0);

    public StreamPosition tail() {
      return new StreamPosition(nextSeqNum, lastTimestamp);
    }

    /**
     * This state advanced past one already sequenced record: its command (fence or trim) takes
     * effect at its position. Used both for new records and when replaying durable ones.
     */
    public State after(SequencedRecord r) {
      if (r.seqNum() != nextSeqNum) {
        throw new IllegalStateException(
            "record seq num " + r.seqNum() + " does not follow next seq num " + nextSeqNum);
      }
      String token = fencingToken;
      long trim = trimPoint;
      if (CommandRecords.isCommand(r.headers())) {
        CommandRecords.Command cmd = CommandRecords.commandOf(r.headers(), r.body());
        if (cmd instanceof CommandRecords.Fence f) {
          token = f.token();
        } else if (cmd instanceof CommandRecords.Trim t) {
          trim = Math.max(trim, Math.min(t.trimPoint(), r.seqNum() + 1));
        }
      }
      return new State(r.seqNum() + 1, Math.max(lastTimestamp, r.timestamp()), token, trim);
    }
  }

  /** The decision on one append batch. */
  public sealed interface Decision {}

  /** Accepted: the sequenced records, the ack to send once durable, and the state after it. */
  public record Accepted(List<SequencedRecord> records, AppendAck ack, State stateAfter)
      implements Decision {}

  /** Rejected with a 412 (fencing token or seq num mismatch); nothing changed. */
  public record Rejected(AppendOutcome outcome) implements Decision {}

  /** Rejected with a 422 (client-require without a timestamp); nothing changed. */
  public record Invalid(S2Exception error) implements Decision {}

  private State assigned;
  private State durable;

  public StreamSequencer(State durable) {
    this.durable = durable;
    this.assigned = durable;
  }

  public State assigned() {
    return assigned;
  }

  public State durable() {
    return durable;
  }

  /** True when some accepted batch is not yet durable. */
  public boolean hasInFlight() {
    return assigned.nextSeqNum() != durable.nextSeqNum();
  }

  /**
   * Decides one batch: fencing token first, then {@code match_seq_num} against the assigned tail,
   * then dense seq nums and timestamps. On acceptance the assigned state moves past the batch.
   *
   * @param nowMillis wall clock now, ms since the epoch
   */
  public Decision sequence(
      AppendInput input, TimestampingMode mode, boolean uncapped, long nowMillis) {
    if (input.fencingToken() != null && !input.fencingToken().equals(assigned.fencingToken())) {
      return new Rejected(new AppendOutcome.FencingTokenMismatch(assigned.fencingToken()));
    }
    if (input.matchSeqNum() != null && input.matchSeqNum() != assigned.nextSeqNum()) {
      return new Rejected(new AppendOutcome.SeqNumMismatch(assigned.nextSeqNum()));
    }
    List<SequencedRecord> out = new ArrayList<>(input.records().size());
    State s = assigned;
    long seq = s.nextSeqNum();
    for (AppendRecord r : input.records()) {
      long ts;
      switch (mode == null ? TimestampingMode.CLIENT_PREFER : mode) {
        case ARRIVAL -> ts = nowMillis;
        case CLIENT_REQUIRE -> {
          if (r.timestamp() == null) {
            return new Invalid(
                S2Exception.invalid(
                    "stream requires client timestamps (client-require) but a record has none"));
          }
          ts = r.timestamp();
        }
        default -> ts = r.timestamp() == null ? nowMillis : r.timestamp();
      }
      if (!uncapped && ts > nowMillis) {
        ts = nowMillis;
      }
      if (ts < s.lastTimestamp()) {
        ts = s.lastTimestamp();
      }
      SequencedRecord sr = new SequencedRecord(seq, ts, r.headers(), r.body());
      out.add(sr);
      s = s.after(sr);
      seq++;
    }
    StreamPosition start = out.get(0).position();
    StreamPosition end = new StreamPosition(s.nextSeqNum(), s.lastTimestamp());
    assigned = s;
    return new Accepted(List.copyOf(out), new AppendAck(start, end, end), s);
  }

  /** The batch that left the stream in {@code stateAfter} is durable (call in log order). */
  public void markDurable(State stateAfter) {
    if (stateAfter.nextSeqNum() < durable.nextSeqNum()
        || stateAfter.nextSeqNum() > assigned.nextSeqNum()) {
      throw new IllegalStateException(
          "durable position "
              + stateAfter.nextSeqNum()
              + " outside durable "
              + durable.nextSeqNum()
              + " .. assigned "
              + assigned.nextSeqNum());
    }
    durable = stateAfter;
  }

  /** Storage failed: every in-flight batch is dropped; the assigned state is the durable one. */
  public void rollback() {
    assigned = durable;
  }
}
