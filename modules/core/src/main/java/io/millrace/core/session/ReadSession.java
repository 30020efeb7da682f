package io.millrace.core.session;

import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.api.RecordService;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * One streaming read session (spec sections 6.2, 6.4, 6.5, and the gRPC {@code ReadSession}) over
 * the unary {@link RecordService}, shared by every edge: catch-up reads of at most 1000 records / 1
 * MiB, then long-polling reads at the tail, whose batches carry the tail. While idle at the tail it
 * yields a heartbeat with the tail right after reaching it and then after every long-poll that
 * times out (a random 5 to 15 s by default). Limits ({@code count}, {@code bytes}, {@code until})
 * apply to the whole session; {@code wait} bounds the idle gap at the tail. The session ends
 * normally when a limit is reached, when the idle gap exceeds {@code wait}, when a bounded session
 * reaches the tail, and when the stream is deleted. Not thread-safe: one {@link #next()} at a time.
 */
public final class ReadSession {

  /** What a session yields. */
  public sealed interface Event {}

  /**
   * Records, with the cumulative record count and metered bytes delivered by the session so far
   * (including those before a resumption).
   */
  public record Batch(ReadBatch batch, long totalCount, long totalBytes) implements Event {}

  /** Nothing new; the stream's tail. */
  public record Heartbeat(StreamPosition tail) implements Event {}

  /** The parameters of a session, as given by the client (no caps applied). */
  public record Params(
      ReadStart start, boolean clamp, Long count, Long bytes, Long until, Long waitSecs) {

    /** Whether the session may follow the tail (spec 6.2: no limits at all, or wait > 0). */
    public boolean canFollow() {
      return (count == null && bytes == null && until == null)
          || (waitSecs != null && waitSecs > 0);
    }

    /**
     * Applies an SSE {@code Last-Event-ID: seq,count,bytes}: restart after seq and reduce the
     * limits (saturating at 0). Returns the already delivered totals in {@code totals}.
     */
    public Params resume(String lastEventId, long[] totals) {
      if (lastEventId == null || lastEventId.isBlank()) {
        return this;
      }
      String[] parts = lastEventId.trim().split(",");
      try {
        if (parts.length != 3) {
          throw new NumberFormatException("expected seq_num,count,bytes");
        }
        long seq = Long.parseUnsignedLong(parts[0].trim());
        long c = Long.parseUnsignedLong(parts[1].trim());
        long b = Long.parseUnsignedLong(parts[2].trim());
        if (seq < 0 || c < 0 || b < 0) {
          throw new NumberFormatException("out of range");
        }
        totals[0] = c;
        totals[1] = b;
        return new Params(
            new ReadStart.SeqNum(seq == Long.MAX_VALUE ? seq : seq + 1),
            clamp,
            count == null ? null : Math.max(0, count - c),
            bytes == null ? null : Math.max(0, bytes - b),
            until,
            waitSecs);
      } catch (NumberFormatException e) {
        throw new S2Exception(
            ErrorCode.BAD_HEADER, "invalid Last-Event-ID '" + lastEventId + "': " + e.getMessage());
      }
    }
  }

  /** Timing of heartbeats (each long-poll waits a random time in [min, max] seconds). */
  public record Timing(int heartbeatMinSecs, int heartbeatMaxSecs) {
    public static final Timing DEFAULT = new Timing(5, 15);

    public int nextHeartbeatSecs() {
      if (heartbeatMaxSecs <= heartbeatMinSecs) {
        return Math.max(1, heartbeatMinSecs);
      }
      return Math.max(
          1, ThreadLocalRandom.current().nextInt(heartbeatMinSecs, heartbeatMaxSecs + 1));
    }
  }

  private final RecordService records;
  private final String basin;
  private final String stream;
  private final EncryptionKey key;
  private final Params params;
  private final Timing timing;
  private final LongSupplier clock;

  private ReadStart start;
  private boolean first = true;
  private Long remainingCount;
  private Long remainingBytes;
  private long totalCount;
  private long totalBytes;
  private boolean atTail;
  private long idleDeadline = Long.MAX_VALUE;
  private boolean checkTailNext;
  private StreamPosition pendingHeartbeat;
  private boolean ended;
  private boolean retriedAhead;
  private volatile CompletableFuture<ReadOutcome> inFlight;
  private volatile boolean closed;

  public ReadSession(
      RecordService records,
      String basin,
      String stream,
      EncryptionKey key,
      Params params,
      long[] resumedTotals,
      Timing timing,
      LongSupplier clock) {
    this.records = records;
    this.basin = basin;
    this.stream = stream;
    this.key = key;
    this.params = params;
    this.timing = timing;
    this.clock = clock;
    this.start = params.start() == null ? new ReadStart.TailOffset(0) : params.start();
    this.remainingCount = params.count();
    this.remainingBytes = params.bytes();
    this.totalCount = resumedTotals[0];
    this.totalBytes = resumedTotals[1];
  }

  /**
   * The pre-flight check, before the response starts: completes with null when the session may
   * start, with a {@link ReadOutcome.RangeNotSatisfiable} for a 416, or exceptionally (404 and the
   * like).
   */
  public CompletionStage<ReadOutcome.RangeNotSatisfiable> open() {
    return records
        .tailForRead(basin, stream, key)
        .thenApply(this::preflight)
        .thenCompose(
            notSatisfiable ->
                notSatisfiable != null
                    ? CompletableFuture.completedFuture(notSatisfiable)
                    : probeKey().thenApply(x -> (ReadOutcome.RangeNotSatisfiable) null));
  }

  /**
   * With an encryption key and records to catch up on: reads the first record once, so that a key
   * that does not open it fails the session before it starts (400 {@code decryption_failed} as a
   * plain error response, which every SDK transport reports with its status) rather than as its
   * first event. Completes normally otherwise.
   */
  private CompletionStage<Void> probeKey() {
    if (key == null || !(start instanceof ReadStart.SeqNum s) || atTail) {
      return CompletableFuture.completedFuture(null);
    }
    return records
        .read(basin, stream, new ReadRequest(s, false, 1L, null, params.until(), null), key)
        .thenApply(o -> null);
  }

  /** The pre-flight decision on the tail: a 416, or null when the session may start. */
  private ReadOutcome.RangeNotSatisfiable preflight(StreamPosition tail) {
    Long next = null;
    if (start instanceof ReadStart.SeqNum s) {
      if (s.seqNum() > tail.seqNum()) {
        if (!params.clamp()) {
          return new ReadOutcome.RangeNotSatisfiable(tail);
        }
        next = tail.seqNum();
      } else {
        next = s.seqNum();
      }
    } else if (start instanceof ReadStart.Timestamp t) {
      if (t.timestamp() > tail.timestamp() && tail.seqNum() > 0 && !params.clamp()) {
        return new ReadOutcome.RangeNotSatisfiable(tail);
      }
      if (tail.seqNum() == 0 || t.timestamp() > tail.timestamp()) {
        next = tail.seqNum();
      }
    } else {
      next = Math.max(0, tail.seqNum() - ((ReadStart.TailOffset) start).offset());
    }
    if (next != null) {
      start = new ReadStart.SeqNum(next);
      if (next >= tail.seqNum()) {
        if (!params.canFollow()) {
          return new ReadOutcome.RangeNotSatisfiable(tail);
        }
        reachTail(tail);
      }
    }
    return null;
  }

  /** The next event, or empty once the session has ended normally. */
  public CompletionStage<Optional<Event>> next() {
    if (pendingHeartbeat != null) {
      StreamPosition tail = pendingHeartbeat;
      pendingHeartbeat = null;
      return done(new Heartbeat(tail));
    }
    if (ended || limitReached()) {
      return end();
    }
    if (checkTailNext) {
      checkTailNext = false;
      return withTail(
          tail -> {
            long next = ((ReadStart.SeqNum) start).seqNum();
            if (next >= tail.seqNum()) {
              if (!params.canFollow()) {
                return end();
              }
              reachTail(tail);
            }
            return next();
          });
    }
    if (atTail && clock.getAsLong() >= idleDeadline) {
      return end();
    }
    int reqCount =
        (int)
            Math.min(
                remainingCount == null ? Long.MAX_VALUE : remainingCount, Limits.MAX_BATCH_RECORDS);
    long reqBytes =
        Math.min(
            remainingBytes == null ? Long.MAX_VALUE : remainingBytes,
            (long) Limits.MAX_BATCH_METERED_BYTES);
    Integer wait = null;
    if (params.canFollow()) {
      long w = timing.nextHeartbeatSecs();
      if (idleDeadline != Long.MAX_VALUE) {
        long left = (idleDeadline - clock.getAsLong() + 999) / 1000;
        w = Math.max(1, Math.min(w, left));
      }
      wait = (int) w;
    }
    boolean wasFirst = first;
    first = false;
    ReadRequest request =
        new ReadRequest(
            start, wasFirst && params.clamp(), (long) reqCount, reqBytes, params.until(), wait);
    CompletableFuture<ReadOutcome> read =
        records.read(basin, stream, request, key).toCompletableFuture();
    inFlight = read;
    if (closed) {
      read.cancel(false);
    }
    return read.handle(
            (outcome, err) -> {
              if (err != null) {
                return endOrFail(err);
              }
              return onOutcome(outcome, reqCount);
            })
        .thenCompose(x -> x);
  }

  private CompletionStage<Optional<Event>> onOutcome(ReadOutcome outcome, int reqCount) {
    if (outcome instanceof ReadOutcome.RangeNotSatisfiable) {
      // Only a session that cannot follow reads without waiting: it is at the tail.
      return end();
    }
    ReadBatch batch = ((ReadOutcome.Batch) outcome).batch();
    List<SequencedRecord> recs = batch.records();
    if (recs.isEmpty()) {
      if (batch.tail() != null) {
        // A live batch cut entirely by until.
        return end();
      }
      // A long-poll that timed out, or a catch-up read stopped by until: ask the tail.
      return withTail(
          tail -> {
            long next = nextSeqNum();
            if (next < 0 || next < tail.seqNum()) {
              // Records exist past the position but none came back: either they arrived
              // just after a long-poll ended (read again, once), or until or the byte limit
              // stops the session.
              if (retriedAhead || (next < 0 && params.until() != null)) {
                return end();
              }
              retriedAhead = true;
              return next();
            }
            if (!atTail) {
              if (!params.canFollow()) {
                return end();
              }
              reachTail(tail);
              pendingHeartbeat = null;
            } else if (clock.getAsLong() >= idleDeadline) {
              return end();
            }
            return done(new Heartbeat(tail));
          });
    }
    retriedAhead = false;
    long bytes = 0;
    for (SequencedRecord r : recs) {
      bytes += r.meteredSize();
    }
    SequencedRecord last = recs.get(recs.size() - 1);
    start = new ReadStart.SeqNum(last.seqNum() + 1);
    totalCount += recs.size();
    totalBytes += bytes;
    if (remainingCount != null) {
      remainingCount = Math.max(0, remainingCount - recs.size());
    }
    if (remainingBytes != null) {
      remainingBytes = Math.max(0, remainingBytes - bytes);
    }
    if (batch.tail() != null) {
      atTail = true;
      armIdleDeadline();
    } else {
      atTail = false;
      if (recs.size() < reqCount) {
        checkTailNext = true;
      }
    }
    return done(new Batch(batch, totalCount, totalBytes));
  }

  private long nextSeqNum() {
    return start instanceof ReadStart.SeqNum s ? s.seqNum() : -1;
  }

  private void reachTail(StreamPosition tail) {
    if (!atTail) {
      atTail = true;
      armIdleDeadline();
      pendingHeartbeat = tail;
    }
  }

  private void armIdleDeadline() {
    if (params.waitSecs() != null) {
      long w = params.waitSecs();
      idleDeadline = clock.getAsLong() + Math.min(w, Long.MAX_VALUE / 2000) * 1000;
    }
  }

  private boolean limitReached() {
    return (remainingCount != null && remainingCount <= 0)
        || (remainingBytes != null && remainingBytes <= 0);
  }

  /** A deleted stream ends the session normally; other failures fail it. */
  private CompletionStage<Optional<Event>> endOrFail(Throwable err) {
    Throwable cause = Failures.unwrap(err);
    if (cause instanceof S2Exception s
        && (s.code() == ErrorCode.STREAM_NOT_FOUND
            || s.code() == ErrorCode.STREAM_DELETION_PENDING
            || s.code() == ErrorCode.BASIN_NOT_FOUND
            || s.code() == ErrorCode.BASIN_DELETION_PENDING)) {
      return end();
    }
    return CompletableFuture.failedFuture(cause);
  }

  /**
   * The client went away: the read in flight (typically waiting at the tail) is cancelled, so the
   * reader's place in the engine is freed now rather than when its wait expires. Any thread.
   */
  public void close() {
    closed = true;
    CompletableFuture<ReadOutcome> read = inFlight;
    if (read != null) {
      read.cancel(false);
    }
  }

  /** Checks the tail, then goes on with {@code onTail}; a failure ends or fails the session. */
  private CompletionStage<Optional<Event>> withTail(
      Function<StreamPosition, CompletionStage<Optional<Event>>> onTail) {
    return records
        .checkTail(basin, stream)
        .handle((tail, err) -> err != null ? endOrFail(err) : onTail.apply(tail))
        .thenCompose(x -> x);
  }

  /** Ends the session normally. */
  private CompletionStage<Optional<Event>> end() {
    ended = true;
    return CompletableFuture.completedFuture(Optional.empty());
  }

  private static CompletionStage<Optional<Event>> done(Event e) {
    return CompletableFuture.completedFuture(Optional.of(e));
  }
}
