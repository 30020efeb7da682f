package io.millrace.engine.lifecycle;

import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.StreamPosition;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.stream.StreamRecovery;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle sweep of one live stream (issue 9, docs/adr/0006), a plain class with an injected
 * clock and stores:
 *
 * <ol>
 *   <li><b>Trim and retention</b>: the prefix of the stream's segments that lies wholly below the
 *       trim point (as of {@code stream_state}) or whose newest record is expired ({@link
 *       RetentionHorizon}) is deleted, one segment at a time: first the object, then the segment
 *       row. A crash in between leaves a row whose object is gone; the next sweep deletes it again
 *       (deleting a missing object succeeds). Partly covered segments stay; reads hide their
 *       trimmed or expired records.
 *   <li><b>Delete-on-empty</b>: a stream whose {@code delete_on_empty.min_age_secs} is positive,
 *       that is at least that old, whose records are all trimmed or expired (or that never had one)
 *       and whose last record is at least that old, is confirmed with its entity (its durable tail
 *       must still be the one {@code stream_state} knows, so nothing was appended since) and then
 *       deleted exactly like a user delete ({@link EmptyStreamDeleter}), provided the row is still
 *       the one judged (same stream id and version).
 * </ol>
 */
public final class StreamSweep {
  private static final Logger log = LoggerFactory.getLogger(StreamSweep.class);

  /** The durable tail of a stream by id, asked of its entity (activates it if needed). */
  public interface Tails {
    CompletionStage<StreamPosition> tail(String streamId);
  }

  /**
   * Deletes a stream as a user delete would (mark, then background erase and removal), only if its
   * row is still {@code judged} (same stream id and version, not marked); true if marked.
   */
  public interface EmptyStreamDeleter {
    CompletionStage<Boolean> deleteIfUnchanged(StreamRecord judged);
  }

  /** What one stream's sweep did. */
  public record Outcome(int segmentsDeleted, long bytesDeleted, boolean deletedOnEmpty) {
    static final Outcome NOTHING = new Outcome(0, 0, false);
  }

  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final Clock clock;
  private final Tails tails;
  private final EmptyStreamDeleter deleter;
  private final EngineMetrics metrics;

  public StreamSweep(
      ObjectStore objects,
      MetadataStore metadata,
      Clock clock,
      Tails tails,
      EmptyStreamDeleter deleter,
      EngineMetrics metrics) {
    this.objects = objects;
    this.metadata = metadata;
    this.clock = clock;
    this.tails = tails;
    this.deleter = deleter;
    this.metrics = metrics;
  }

  /** Sweeps {@code stream} (a live row), deleting at most what {@code budget} allows. */
  CompletionStage<Outcome> sweep(StreamRecord stream, SweepBudget budget) {
    if (stream.deletedAt() != null) {
      return CompletableFuture.completedFuture(Outcome.NOTHING); // stream deletion owns it
    }
    String id = stream.streamId();
    StreamConfig config =
        (stream.config() == null ? StreamConfig.EMPTY : stream.config()).resolve(null);
    long now = clock.millis();
    RetentionPolicy retention = config.retentionPolicy();
    long cutoff = RetentionHorizon.cutoff(retention == null ? null : retention.ageSecs(), now);
    return metadata
        .getStreamState(id)
        .thenCompose(
            state -> {
              if (state.isPresent() && StreamRecovery.isTombstone(state.get())) {
                return CompletableFuture.completedFuture(Outcome.NOTHING);
              }
              long trim = state.map(StreamStateRecord::trimPoint).orElse(0L);
              return metadata
                  .listSegments(id)
                  .thenCompose(segs -> deletePrefix(stream, segs, 0, trim, cutoff, budget, 0, 0))
                  .thenCompose(
                      deleted ->
                          deleteIfEmpty(stream, config, state, cutoff, now)
                              .thenApply(gone -> new Outcome((int) deleted[0], deleted[1], gone)));
            });
  }

  /**
   * Deletes segments[i..] while they are wholly trimmed or expired; {count, bytes}. A segment
   * deleted for retention is judged again against the stream's row as it is just before its
   * deletion: a retention lengthened after the sweep listed the stream is honoured (a
   * reconfiguration never gets data inside its new window deleted, docs/adr/0006).
   */
  private CompletionStage<long[]> deletePrefix(
      StreamRecord stream,
      List<SegmentRecord> segs,
      int i,
      long trim,
      long cutoff,
      SweepBudget budget,
      long count,
      long bytes) {
    long[] done = {count, bytes};
    if (i >= segs.size() || budget.spent()) {
      return CompletableFuture.completedFuture(done);
    }
    SegmentRecord s = segs.get(i);
    boolean trimmed = s.lastSeqNum() < trim;
    if (!(trimmed || RetentionHorizon.expired(s, cutoff))) {
      return CompletableFuture.completedFuture(done);
    }
    CompletionStage<Boolean> doomed =
        trimmed ? CompletableFuture.completedFuture(true) : stillExpired(stream, s);
    return doomed.thenCompose(
        yes ->
            yes && budget.take()
                ? deleteSegment(stream, segs, i, trim, cutoff, budget, count, bytes, trimmed)
                : CompletableFuture.completedFuture(done));
  }

  /**
   * Whether {@code segment} is still wholly expired under the stream's row as it is now (the same
   * stream, not marked deleted, its current retention).
   */
  private CompletionStage<Boolean> stillExpired(StreamRecord stream, SegmentRecord segment) {
    return metadata
        .getStream(stream.basin(), stream.name())
        .thenApply(
            row -> {
              if (row.isEmpty()
                  || !row.get().streamId().equals(stream.streamId())
                  || row.get().deletedAt() != null) {
                return false; // gone or replaced: stream deletion owns its data
              }
              StreamConfig config =
                  (row.get().config() == null ? StreamConfig.EMPTY : row.get().config())
                      .resolve(null);
              RetentionPolicy retention = config.retentionPolicy();
              long cutoff =
                  RetentionHorizon.cutoff(
                      retention == null ? null : retention.ageSecs(), clock.millis());
              return RetentionHorizon.expired(segment, cutoff);
            });
  }

  private CompletionStage<long[]> deleteSegment(
      StreamRecord stream,
      List<SegmentRecord> segs,
      int i,
      long trim,
      long cutoff,
      SweepBudget budget,
      long count,
      long bytes,
      boolean trimmed) {
    String id = stream.streamId();
    SegmentRecord s = segs.get(i);
    return objects
        .delete(s.objectKey())
        .thenCompose(x -> metadata.deleteSegment(id, s.firstSeqNum()))
        .thenCompose(
            x -> {
              metrics.lifecycleDeletedObjects.increment();
              metrics.lifecycleDeletedBytes.add(s.bytes());
              log.debug(
                  "Stream {}: deleted {} segment {} (records {}..{}).",
                  id,
                  trimmed ? "trimmed" : "expired",
                  s.objectKey(),
                  s.firstSeqNum(),
                  s.lastSeqNum());
              return deletePrefix(
                  stream, segs, i + 1, trim, cutoff, budget, count + 1, bytes + s.bytes());
            });
  }

  private CompletionStage<Boolean> deleteIfEmpty(
      StreamRecord stream,
      StreamConfig config,
      Optional<StreamStateRecord> state,
      long cutoff,
      long now) {
    DeleteOnEmpty doe = config.deleteOnEmpty();
    long minAgeSecs = doe == null || doe.minAgeSecs() == null ? 0 : doe.minAgeSecs();
    long minAgeMillis = minAgeSecs > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : minAgeSecs * 1000;
    if (minAgeMillis <= 0 || stream.createdAt().toEpochMilli() > now - minAgeMillis) {
      return CompletableFuture.completedFuture(false);
    }
    long tailSeq = state.map(StreamStateRecord::tailSeqNum).orElse(0L);
    long lastWrite = stream.createdAt().toEpochMilli();
    if (tailSeq > 0) {
      StreamStateRecord st = state.get();
      boolean allTrimmed = st.trimPoint() >= tailSeq;
      boolean allExpired = cutoff != RetentionHorizon.NONE && st.tailTimestamp() < cutoff;
      if (!allTrimmed && !allExpired) {
        return CompletableFuture.completedFuture(false);
      }
      lastWrite = Math.max(lastWrite, st.tailTimestamp());
    }
    if (lastWrite > now - minAgeMillis) {
      return CompletableFuture.completedFuture(false);
    }
    // The metadata view is as of the last segment flush: the entity knows whether anything was
    // appended since.
    return tails
        .tail(stream.streamId())
        .thenCompose(
            tail -> {
              if (tail.seqNum() != tailSeq) {
                return CompletableFuture.completedFuture(false);
              }
              return deleter
                  .deleteIfUnchanged(stream)
                  .thenApply(
                      marked -> {
                        if (marked) {
                          metrics.lifecycleEmptyStreamsDeleted.increment();
                          log.info(
                              "Stream {} (id {}) in basin {} has been empty for {} s or more;"
                                  + " deleted (delete_on_empty).",
                              stream.name(),
                              stream.streamId(),
                              stream.basin(),
                              minAgeMillis / 1000);
                        }
                        return marked;
                      });
            });
  }
}
