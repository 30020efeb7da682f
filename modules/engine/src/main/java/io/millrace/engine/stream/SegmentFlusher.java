package io.millrace.engine.stream;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStore;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Segment flushes of one stream (architecture section 7), one at a time: builds the segment of the
 * unflushed records, writes its object (create-only), then its segment row, the stream state and
 * the deletion of the streamlets before the flush's epoch, and reports a {@link Result}. The
 * metadata writes are fenced: when one is refused, a newer activation of the stream exists.
 *
 * <p>A failed flush is retried exactly as it was, before anything newer is flushed: some of its
 * writes may have applied (a store failing or timing out mid-way), and only an identical retry
 * reads them back as applied instead of as another owner's.
 *
 * <p>When the segment row is refused because another activation (a replaced owner still running, or
 * one before it) already indexed a segment from the same first seq num, that row is adopted if it
 * ends at or before this flush's last record and its object holds exactly this flush's first
 * records: those records are flushed (by whoever wrote them, they are the same acknowledged
 * records), and the rest is flushed next, which writes the stream state ({@link Adopted}). A row
 * reaching past this flush, or holding other records, is refused (ADR 0004, "A replaced owner's
 * segment").
 */
final class SegmentFlusher {

  /** How a flush ended. */
  sealed interface Result permits Flushed, Adopted, Refused, Failed {
    SegmentRecord segment();
  }

  /** Every write applied: the segment holds the records up to its last seq num. */
  record Flushed(SegmentRecord segment) implements Result {}

  /**
   * Another activation's row at this flush's first seq num holds exactly the first records of the
   * flush: {@code segment} is that row; the records after it are still unflushed.
   */
  record Adopted(SegmentRecord segment) implements Result {}

  /** A newer activation refused the fenced metadata write {@code write} (a sentence). */
  record Refused(SegmentRecord segment, String write) implements Result {}

  /** A write failed with {@code error}; the next flush retries this one. */
  record Failed(SegmentRecord segment, Throwable error) implements Result {}

  /** One flush: the records, the object's bytes and the metadata rows it writes. */
  private record Attempt(
      List<SequencedRecord> records,
      long epoch,
      byte[] data,
      SegmentRecord segment,
      StreamStateRecord row) {}

  private final String streamId;
  private final ObjectStore objects;
  private final MetadataStore metadata;
  private Attempt inFlight;
  private Attempt failed;

  SegmentFlusher(String streamId, ObjectStore objects, MetadataStore metadata) {
    this.streamId = streamId;
    this.objects = objects;
    this.metadata = metadata;
  }

  /** Whether a flush is in flight (until {@link #finished}). */
  boolean inFlight() {
    return inFlight != null;
  }

  /**
   * Starts a flush: the last failed one again if there is one, else one of {@code records} (the
   * unflushed records, which end at the durable tail of {@code durable}) at {@code epoch}. The
   * stage never fails: a failure is a {@link Failed} result.
   */
  CompletionStage<Result> start(
      List<SequencedRecord> records, StreamSequencer.State durable, long epoch) {
    if (inFlight != null) {
      throw new IllegalStateException("stream " + streamId + ": a segment flush is in flight");
    }
    Attempt attempt = failed != null ? failed : attempt(records, durable, epoch);
    failed = null;
    inFlight = attempt;
    SegmentRecord seg = attempt.segment();
    return write(attempt)
        .handle((result, err) -> err != null ? new Failed(seg, unwrap(err)) : result);
  }

  /** The flush in flight ended with {@code result}; a failed one is kept for the retry. */
  void finished(Result result) {
    failed = result instanceof Failed ? inFlight : null;
    inFlight = null;
  }

  private Attempt attempt(List<SequencedRecord> records, StreamSequencer.State state, long epoch) {
    SequencedRecord first = records.get(0);
    SequencedRecord last = records.get(records.size() - 1);
    if (state.nextSeqNum() != last.seqNum() + 1) {
      throw new IllegalStateException(
          "stream "
              + streamId
              + ": durable tail "
              + state.nextSeqNum()
              + " does not follow the last unflushed record "
              + last.seqNum());
    }
    String key = SegmentCodec.objectKey(streamId, first.seqNum(), last.seqNum());
    byte[] data = SegmentCodec.encode(streamId, records);
    SegmentRecord seg =
        new SegmentRecord(
            streamId,
            first.seqNum(),
            last.seqNum(),
            first.timestamp(),
            last.timestamp(),
            key,
            data.length);
    StreamStateRecord row =
        new StreamStateRecord(
            streamId,
            last.seqNum() + 1,
            state.nextSeqNum(),
            state.lastTimestamp(),
            state.fencingToken(),
            state.trimPoint(),
            epoch);
    return new Attempt(records, epoch, data, seg, row);
  }

  /** The writes of a flush. */
  private CompletionStage<Result> write(Attempt a) {
    return putSegmentObject(a)
        .thenCompose(x -> metadata.addSegment(a.segment()))
        .thenCompose(
            added ->
                added
                    ? writeState(a, a.row())
                        .thenCompose(
                            refused ->
                                refused != null
                                    ? completed(new Refused(a.segment(), refused))
                                    // Streamlets before the state's epoch hold only flushed
                                    // records: recovery skips them.
                                    : metadata
                                        .deleteStreamlets(streamId, a.epoch())
                                        .thenApply(x -> (Result) new Flushed(a.segment())))
                    : adoptExisting(a));
  }

  /** Writes the stream state; completes with the refused write's description, or null. */
  private CompletionStage<String> writeState(Attempt a, StreamStateRecord row) {
    return metadata
        .putStreamState(row)
        .thenApply(written -> written ? null : "writing the stream state at epoch " + a.epoch());
  }

  /**
   * The segment row was refused: another row starts at the flush's first seq num. Adopts it if it
   * holds exactly the flush's first records (see the class comment), else refuses.
   */
  private CompletionStage<Result> adoptExisting(Attempt a) {
    SegmentRecord ours = a.segment();
    Refused refused = new Refused(ours, "adding segment " + ours.objectKey());
    return metadata
        .listSegments(streamId)
        .thenCompose(
            rows -> {
              SegmentRecord theirs =
                  rows.stream()
                      .filter(r -> r.firstSeqNum() == ours.firstSeqNum())
                      .findFirst()
                      .orElse(null);
              if (theirs == null || theirs.lastSeqNum() > ours.lastSeqNum()) {
                return completed(refused);
              }
              int n = (int) (theirs.lastSeqNum() - theirs.firstSeqNum() + 1);
              return objects
                  .get(theirs.objectKey())
                  .thenCompose(
                      data -> {
                        if (data.isEmpty()
                            || !SegmentCodec.decode(data.get()).equals(a.records().subList(0, n))) {
                          return completed(refused);
                        }
                        // Neither the stream state nor a streamlet is written: a state row
                        // holds the stream as of its last flushed record, which only the
                        // flush of the rest knows (recovery counts the adopted row by itself),
                        // and the records after the row may be in streamlets before this epoch.
                        return completed(new Adopted(theirs));
                      });
            });
  }

  private static CompletionStage<Result> completed(Result r) {
    return CompletableFuture.completedFuture(r);
  }

  /** Writes the segment object; an existing object of the same records counts as written. */
  private CompletionStage<Void> putSegmentObject(Attempt a) {
    String key = a.segment().objectKey();
    return objects
        .putIfAbsent(key, a.data())
        .handle(
            (ok, err) -> {
              if (err == null) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              Throwable cause = unwrap(err);
              if (cause instanceof ObjectAlreadyExistsException) {
                return objects
                    .get(key)
                    .thenApply(existing -> checkSame(a, existing.orElse(null)))
                    .toCompletableFuture();
              }
              return CompletableFuture.<Void>failedFuture(cause);
            })
        .thenCompose(x -> x);
  }

  private Void checkSame(Attempt a, byte[] existing) {
    if (existing == null
        || !(Arrays.equals(existing, a.data())
            || SegmentCodec.decode(existing).equals(a.records()))) {
      throw new IllegalStateException(
          "stream "
              + streamId
              + ": segment "
              + a.segment().objectKey()
              + " exists with other records");
    }
    return null;
  }
}
