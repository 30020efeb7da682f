package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.api.RecordService;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.AppendValidation;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-stream, in-memory {@link RecordService} for session tests: appends with match_seq_num,
 * reads with the unary rules of {@link ReadRules} including long-polls at the tail, check tail, and
 * deletion. Timestamps are the seq num times 10.
 */
final class MemoryRecords implements RecordService {
  static final String STREAM = "logs/app";

  private final List<SequencedRecord> log = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private boolean deleted;
  private long longPolls;
  private S2Exception readFailure;
  private boolean encrypted;

  /** For an encrypted stream: the key each record of {@link #log} was appended with. */
  private final List<byte[]> recordKeys = new ArrayList<>();

  private record Waiter(ReadRequest request, CompletableFuture<ReadOutcome> future) {}

  synchronized void reset() {
    log.clear();
    recordKeys.clear();
    for (Waiter w : waiters) {
      w.future().complete(new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
    }
    waiters.clear();
    deleted = false;
    readFailure = null;
    encrypted = false;
  }

  synchronized List<SequencedRecord> records() {
    return List.copyOf(log);
  }

  /** Deletes the stream: pending long-polls end empty, later calls fail with 404. */
  synchronized void delete() {
    deleted = true;
    for (Waiter w : waiters) {
      w.future().complete(new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
    }
    waiters.clear();
  }

  /** Makes every later read fail with {@code failure} (null: reads work again). */
  synchronized void failReads(S2Exception failure) {
    readFailure = failure;
  }

  /**
   * Makes the stream behave as an encrypted one, as the engine answers: appends, reads and
   * read-session pre-flights without a key fail with 400 {@code bad_header}; a catch-up read that
   * returns a record appended with another key fails with 400 {@code decryption_failed}.
   */
  synchronized void encrypt() {
    encrypted = true;
  }

  /** Like the engine: the key of an encrypted stream is required. */
  private void checkKey(EncryptionKey key) {
    if (encrypted && key == null) {
      throw new S2Exception(ErrorCode.BAD_HEADER, "missing encryption key");
    }
  }

  synchronized int waiting() {
    return waiters.size();
  }

  /** How many long-polls at the tail were started since the fixture was created (never reset). */
  synchronized long longPollsStarted() {
    return longPolls;
  }

  private void check(String stream) {
    if (deleted || !STREAM.equals(stream)) {
      throw new S2Exception(ErrorCode.STREAM_NOT_FOUND, "stream " + stream + " not found");
    }
  }

  private StreamPosition tail() {
    return log.isEmpty()
        ? StreamPosition.ZERO
        : new StreamPosition(log.size(), log.get(log.size() - 1).timestamp());
  }

  @Override
  public synchronized CompletionStage<AppendOutcome> append(
      String basin, String stream, AppendInput input, EncryptionKey key) {
    try {
      AppendValidation.validate(input);
      check(stream);
      checkKey(key);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    if (input.matchSeqNum() != null && input.matchSeqNum() != log.size()) {
      return CompletableFuture.completedFuture(new AppendOutcome.SeqNumMismatch(log.size()));
    }
    StreamPosition start = new StreamPosition(log.size(), log.size() * 10L);
    List<SequencedRecord> added = new ArrayList<>();
    for (AppendRecord r : input.records()) {
      SequencedRecord s = new SequencedRecord(log.size(), log.size() * 10L, r.headers(), r.body());
      log.add(s);
      recordKeys.add(key == null ? null : key.bytes());
      added.add(s);
    }
    StreamPosition end = new StreamPosition(log.size(), log.get(log.size() - 1).timestamp());
    for (Waiter w : waiters) {
      ReadRules.Collector c = ReadRules.Collector.forUnary(w.request());
      for (SequencedRecord r : added) {
        if (!c.offer(r)) {
          break;
        }
      }
      w.future().complete(new ReadOutcome.Batch(new ReadBatch(c.records(), tail())));
    }
    waiters.clear();
    return CompletableFuture.completedFuture(
        new AppendOutcome.Appended(new AppendAck(start, end, tail())));
  }

  @Override
  public synchronized CompletionStage<ReadOutcome> read(
      String basin, String stream, ReadRequest request, EncryptionKey key) {
    if (readFailure != null) {
      return CompletableFuture.failedFuture(readFailure);
    }
    try {
      check(stream);
      checkKey(key);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    ReadRules.Resolution res = ReadRules.resolve(request, tail(), 0);
    if (res instanceof ReadRules.NotSatisfiable ns) {
      return CompletableFuture.completedFuture(new ReadOutcome.RangeNotSatisfiable(ns.tail()));
    }
    if (res instanceof ReadRules.Empty) {
      return CompletableFuture.completedFuture(
          new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
    }
    if (res instanceof ReadRules.AwaitTail aw) {
      CompletableFuture<ReadOutcome> f = new CompletableFuture<>();
      Waiter w = new Waiter(request, f);
      waiters.add(w);
      longPolls++;
      timer.schedule(
          () -> {
            synchronized (this) {
              waiters.remove(w);
            }
            f.complete(new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
          },
          aw.waitMillis(),
          TimeUnit.MILLISECONDS);
      return f;
    }
    ReadRules.CatchUp c = (ReadRules.CatchUp) res;
    ReadRules.Collector col = ReadRules.Collector.forUnary(request);
    for (SequencedRecord r : log) {
      if (c.admits(r) && !col.offer(r)) {
        break;
      }
    }
    for (SequencedRecord r : col.records()) {
      if (encrypted && !java.util.Arrays.equals(recordKeys.get((int) r.seqNum()), key.bytes())) {
        return CompletableFuture.failedFuture(
            new S2Exception(ErrorCode.DECRYPTION_FAILED, "cannot decrypt record " + r.seqNum()));
      }
    }
    return CompletableFuture.completedFuture(
        new ReadOutcome.Batch(new ReadBatch(col.records(), null)));
  }

  @Override
  public synchronized CompletionStage<StreamPosition> checkTail(String basin, String stream) {
    try {
      check(stream);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(tail());
  }

  @Override
  public synchronized CompletionStage<StreamPosition> tailForRead(
      String basin, String stream, EncryptionKey key) {
    try {
      checkKey(key);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return checkTail(basin, stream);
  }

  void close() {
    timer.shutdownNow();
  }

  /** Unused start type guard for readers of this fixture. */
  static ReadStart from(long seq) {
    return new ReadStart.SeqNum(seq);
  }
}
