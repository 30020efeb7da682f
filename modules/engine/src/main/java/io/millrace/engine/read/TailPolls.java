package io.millrace.engine.read;

import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.ReadRules;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Tail coalescing on one node (architecture section 6): readers waiting at the same position of a
 * stream share one long-polling read of the stream entity. The first reader's read goes to the
 * entity; readers arriving at the same seq num while it is outstanding (willing to wait at least as
 * long, and with limits and until no wider than its own) join it and get its answer, trimmed to
 * their own count, bytes and until. So a stream entity holds at most one waiter per position and
 * node, however many sessions tail it.
 *
 * <p>Readers pull: nothing is buffered per reader. A reader that is slow to come back simply asks
 * for an older position, which is a catch-up read (entity memory or segments), and rejoins the
 * shared poll once it is at the tail again; it never holds back writers or other readers.
 */
public final class TailPolls {
  private record Key(String streamId, long seqNum) {}

  private record Poll(
      CompletableFuture<ReadOutcome> result, long deadlineMillis, ReadRequest request) {

    /** Whether this poll's answer holds everything {@code r} could want (limits and until). */
    boolean covers(ReadRequest r) {
      Long until = request.until();
      return ReadRules.unaryCount(request) >= ReadRules.unaryCount(r)
          && ReadRules.unaryBytes(request) >= ReadRules.unaryBytes(r)
          && (until == null || (r.until() != null && until >= r.until()));
    }
  }

  private final ConcurrentMap<Key, Poll> polls = new ConcurrentHashMap<>();
  private final LongSupplier clock;
  final LongAdder joined = new LongAdder();

  public TailPolls(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * Reads through a shared poll when the read may wait at the tail (a seq num start, wait > 0, no
   * clamp); otherwise reads directly.
   */
  public CompletionStage<ReadOutcome> read(
      String streamId,
      ReadRequest request,
      Function<ReadRequest, CompletionStage<ReadOutcome>> direct) {
    if (!(request.start() instanceof ReadStart.SeqNum s)
        || request.waitSecs() == null
        || request.waitSecs() <= 0
        || request.clamp()) {
      return direct.apply(request);
    }
    Key key = new Key(streamId, s.seqNum());
    long deadline = clock.getAsLong() + request.waitSecs() * 1000L;
    for (; ; ) {
      Poll existing = polls.get(key);
      if (existing != null
          && !existing.result().isDone()
          && existing.deadlineMillis() <= deadline + 1000
          && existing.covers(request)) {
        joined.increment();
        return existing.result().thenApply(o -> trim(o, request));
      }
      Poll mine = new Poll(new CompletableFuture<>(), deadline, request);
      boolean installed =
          existing == null
              ? polls.putIfAbsent(key, mine) == null
              : polls.replace(key, existing, mine);
      if (installed) {
        CompletionStage<ReadOutcome> answer;
        try {
          answer = direct.apply(request);
        } catch (RuntimeException e) {
          answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete(
            (o, e) -> {
              polls.remove(key, mine);
              if (e != null) {
                mine.result().completeExceptionally(e);
              } else {
                mine.result().complete(o);
              }
            });
        return mine.result();
      }
    }
  }

  /** Outstanding shared polls (for tests and metrics). */
  int outstanding() {
    return polls.size();
  }

  /** The part of a shared answer that fits a joining reader's own limits. */
  static ReadOutcome trim(ReadOutcome outcome, ReadRequest request) {
    if (!(outcome instanceof ReadOutcome.Batch b)) {
      return outcome;
    }
    ReadRules.Collector c = ReadRules.Collector.forUnary(request);
    for (SequencedRecord r : b.batch().records()) {
      if (!c.offer(r)) {
        break;
      }
    }
    return new ReadOutcome.Batch(new ReadBatch(c.records(), b.batch().tail()));
  }
}
