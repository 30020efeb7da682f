package io.millrace.engine.stream;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.StreamSequencer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The reply queue of a stream entity, in log order (architecture section 2): every append is
 * answered only after every earlier append of the stream is decided, acks and rejections alike. An
 * append is in flight from {@link #accept} until it is durable or failed; a rejection is decided
 * when it is queued.
 *
 * <p>A storage failure is <em>held</em> until the streamlet is sealed at the durable tail (so that
 * no later recovery can trust the failed batch's chunk): then it is released as it is, or, if the
 * seal failed, as {@code other} (the append may be durable).
 */
final class PendingAppends {

  /** One append of the queue. */
  static final class Entry {
    final long batchId;
    final List<SequencedRecord> records;
    final long bytes;
    final StreamSequencer.State stateAfter;
    private final AppendAck ack;
    private final Consumer<StreamEntity.AppendReply> replyTo;
    private final String sessionId;
    private StreamEntity.AppendReply reply;
    private boolean held;

    private Entry(
        long batchId,
        StreamSequencer.Accepted accepted,
        long bytes,
        Consumer<StreamEntity.AppendReply> replyTo,
        String sessionId) {
      this.batchId = batchId;
      this.records = accepted == null ? List.of() : accepted.records();
      this.bytes = bytes;
      this.stateAfter = accepted == null ? null : accepted.stateAfter();
      this.ack = accepted == null ? null : accepted.ack();
      this.replyTo = replyTo;
      this.sessionId = sessionId;
    }

    boolean inFlight() {
      return reply == null;
    }
  }

  private static final StreamEntity.Failed MAY_BE_DURABLE_AFTER_FAILED_SEAL =
      new StreamEntity.Failed(
          ErrorCode.OTHER,
          "the WAL write failed and the stream could not be sealed; the append may be durable");
  private static final StreamEntity.Failed MAY_BE_DURABLE_AFTER_STOP =
      new StreamEntity.Failed(ErrorCode.OTHER, "stream stopped; the append may be durable");

  /**
   * What a 412 decided behind an append that then failed becomes: the condition was checked against
   * a tail (or token) that included that append, so the 412's tail never existed. The rejected
   * append had no effect either way, so a retryable "no side effect" error is exact.
   */
  static final StreamEntity.Failed CONDITION_CHECKED_AGAINST_FAILED_APPEND =
      new StreamEntity.Failed(
          ErrorCode.UNAVAILABLE,
          "an earlier append that this append's condition was checked against did not complete;"
              + " retry");

  private final ArrayDeque<Entry> queue = new ArrayDeque<>();
  private final FailedSessions sessions;
  private long nextBatchId;

  PendingAppends(FailedSessions sessions) {
    this.sessions = sessions;
  }

  /** Queues an accepted batch, in flight until it is durable or failed; returns its batch id. */
  long accept(
      StreamSequencer.Accepted accepted,
      long bytes,
      Consumer<StreamEntity.AppendReply> replyTo,
      String sessionId) {
    long id = nextBatchId++;
    queue.add(new Entry(id, accepted, bytes, replyTo, sessionId));
    return id;
  }

  /** Queues an answer decided now (a rejection or refusal); it is released in log order. */
  void reject(Consumer<StreamEntity.AppendReply> replyTo, StreamEntity.AppendReply reply) {
    Entry e = new Entry(-1, null, 0, replyTo, null);
    e.reply = reply;
    queue.add(e);
    release();
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** The oldest append still in flight, or null. */
  Entry firstInFlight() {
    for (Entry e : queue) {
      if (e.inFlight()) {
        return e;
      }
    }
    return null;
  }

  /** {@code e} is durable and the stream's durable tail is now {@code tail}: acknowledge it. */
  void durable(Entry e, StreamPosition tail) {
    e.reply =
        new StreamEntity.AppendResult(
            new AppendOutcome.Appended(new AppendAck(e.ack.start(), e.ack.end(), tail)));
    release();
  }

  /**
   * A WAL write failed: every append in flight fails with {@code failure}, held until the streamlet
   * is sealed; their sessions fail. Returns how many appends failed.
   */
  int failInFlight(StreamEntity.Failed failure) {
    return fail(Entry::inFlight, failure, true, true);
  }

  /** The streamlet is sealed at the durable tail: held failures are final; release them. */
  void releaseHeld() {
    for (Entry e : queue) {
      e.held = false;
    }
    release();
  }

  /** Sealing failed: a failed batch's chunk may still be trusted by a later recovery. */
  void heldMayBeDurable() {
    fail(e -> e.held, MAY_BE_DURABLE_AFTER_FAILED_SEAL, false, false);
  }

  /**
   * Fails every append in flight or held with {@code failure} (and, if {@code failSessions}, their
   * sessions) and releases the queue. Returns how many appends failed.
   */
  int failUnsettled(StreamEntity.Failed failure, boolean failSessions) {
    return fail(e -> e.inFlight() || e.held, failure, false, failSessions);
  }

  /** Answers the appends {@code which} with {@code failure}, {@code held} or not; releases. */
  private int fail(
      Predicate<Entry> which, StreamEntity.Failed failure, boolean held, boolean failSessions) {
    int failed = 0;
    for (Entry e : queue) {
      if (which.test(e)) {
        e.reply = failure;
        e.held = held;
        if (failSessions) {
          sessions.markFailed(e.sessionId);
        }
        failed++;
      } else if (failed > 0 && isConditionMismatch(e)) {
        e.reply = CONDITION_CHECKED_AGAINST_FAILED_APPEND;
      }
    }
    release();
    return failed;
  }

  /** A decided 412: its reported tail or token counted every append queued before it. */
  private static boolean isConditionMismatch(Entry e) {
    return e.batchId < 0
        && e.reply instanceof StreamEntity.AppendResult r
        && (r.outcome() instanceof AppendOutcome.SeqNumMismatch
            || r.outcome() instanceof AppendOutcome.FencingTokenMismatch);
  }

  /**
   * The entity stops: every queued append is answered now, with its decided answer if it has one
   * and is not held, else with {@code other} (it may be durable).
   */
  void stopped() {
    boolean unsettledBefore = false;
    for (Entry e : queue) {
      boolean settled = e.reply != null && !e.held;
      if (!settled) {
        e.replyTo.accept(MAY_BE_DURABLE_AFTER_STOP);
        unsettledBefore = true;
      } else if (unsettledBefore && isConditionMismatch(e)) {
        e.replyTo.accept(CONDITION_CHECKED_AGAINST_FAILED_APPEND);
      } else {
        e.replyTo.accept(e.reply);
      }
    }
    queue.clear();
  }

  /** Replies to the head of the queue while it is decided, in log order. */
  private void release() {
    while (!queue.isEmpty() && !queue.peekFirst().inFlight() && !queue.peekFirst().held) {
      Entry e = queue.pollFirst();
      e.replyTo.accept(e.reply);
    }
  }
}
