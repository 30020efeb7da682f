package io.millrace.engine.read;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.ReadRules;
import io.millrace.engine.DamageReport;
import io.millrace.format.SegmentSalvage;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.objectstore.ObjectStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes read plans outside the stream entities: segments through a small Caffeine cache of
 * decoded segments (concurrent misses of one segment share one fetch), then the in-memory records.
 *
 * <p>A damaged segment (issue 14, fault 4) is decoded block by block ({@link SegmentSalvage}): the
 * records of its undamaged blocks are served as usual. A read that reaches a damaged range ends its
 * batch just before it when it has records already, and otherwise fails with {@code data_loss}
 * (non-retryable) naming the segment, the seq nums and the damage; a read starting after the
 * damaged range never sees it. The segment is reported to the node's {@link DamageReport}.
 */
public final class SegmentReader {
  private static final Logger log = LoggerFactory.getLogger(SegmentReader.class);

  /** A planned segment's object is missing. */
  private static final class MissingSegment extends RuntimeException {
    MissingSegment(String key) {
      super("segment " + key + " is missing", null, false, false);
    }
  }

  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final DamageReport damage;
  private final AsyncCache<String, SegmentSalvage> cache;

  /**
   * {@code metadata} tells whether a segment whose object is missing was deleted by trim, retention
   * or stream deletion after the entity planned the read (its row is gone: the segment is skipped,
   * as its records are no longer readable) or is missing while still indexed (a storage failure:
   * the read fails with {@code storage}, retryable).
   */
  public SegmentReader(
      ObjectStore objects, MetadataStore metadata, int maxSegments, DamageReport damage) {
    this.objects = objects;
    this.metadata = metadata;
    this.damage = damage;
    this.cache = Caffeine.newBuilder().maximumSize(maxSegments).buildAsync();
  }

  private CompletableFuture<SegmentSalvage> load(SegmentRecord seg) {
    return objects
        .get(seg.objectKey())
        .thenApply(
            data -> {
              SegmentSalvage s =
                  SegmentSalvage.of(
                      data.orElseThrow(() -> new MissingSegment(seg.objectKey())),
                      seg.firstSeqNum(),
                      seg.lastSeqNum());
              if (s.whole()) {
                damage.clear(DamageReport.Kind.SEGMENT, seg.objectKey());
              } else {
                damage.report(DamageReport.Kind.SEGMENT, seg.objectKey(), describe(seg, s));
                log.error(
                    "Segment {} of stream {} is damaged: {}. Run millrace verify --repair.",
                    seg.objectKey(),
                    seg.streamId(),
                    describe(seg, s));
              }
              return s;
            })
        .toCompletableFuture();
  }

  private static String describe(SegmentRecord seg, SegmentSalvage s) {
    if (s.damaged().isEmpty()) {
      return "its header is damaged (" + s.problem() + "); every record is still readable";
    }
    StringBuilder b = new StringBuilder();
    for (SegmentSalvage.DamagedRange r : s.damaged()) {
      b.append(b.length() == 0 ? "" : "; ")
          .append("seq nums ")
          .append(r.firstSeqNum())
          .append(" to ")
          .append(r.lastSeqNum())
          .append(" unreadable (")
          .append(r.reason())
          .append(')');
    }
    return b.toString();
  }

  public CompletionStage<ReadBatch> execute(ReadPlan plan, ReadRules.Collector collector) {
    Progress progress = new Progress();
    return readSegments(plan, 0, collector, progress)
        .thenApply(
            p -> {
              if (!p.stopped) {
                for (SequencedRecord r : plan.memory()) {
                  if (!offer(plan, collector, r, p)) {
                    break;
                  }
                }
              }
              return new ReadBatch(collector.records(), null);
            });
  }

  /** How far a read got: the last seq num offered, and whether damage ended the batch. */
  private static final class Progress {
    long last = -1;
    boolean stopped;
  }

  /** Offers {@code r} if it is admitted and new; false once the collector is full. */
  private static boolean offer(
      ReadPlan plan, ReadRules.Collector collector, SequencedRecord r, Progress p) {
    if (r.seqNum() <= p.last || !plan.start().admits(r)) {
      return !collector.isFull();
    }
    if (!collector.offer(r)) {
      return false;
    }
    p.last = r.seqNum();
    return true;
  }

  /**
   * A damaged range in the read's way: false to go on (the read does not need it), true when the
   * batch ends here (it has records before the damage); throws {@code data_loss} when the read
   * would start in it.
   */
  private static boolean meets(
      ReadPlan plan, ReadRules.Collector collector, SegmentSalvage.DamagedRange range, Progress p) {
    ReadRules.CatchUp start = plan.start();
    if (range.lastSeqNum() <= p.last
        || range.lastSeqNum() < start.trimPoint()
        || (start.startSeqNum() != null && range.lastSeqNum() < start.startSeqNum())) {
      return false;
    }
    if (!collector.records().isEmpty()) {
      p.stopped = true;
      return true;
    }
    throw new S2Exception(
        ErrorCode.DATA_LOSS,
        "records "
            + range.firstSeqNum()
            + " to "
            + range.lastSeqNum()
            + " are in a damaged segment ("
            + range.reason()
            + "); read from "
            + (range.lastSeqNum() + 1)
            + " to skip them, or repair with millrace verify --repair");
  }

  private CompletionStage<Progress> readSegments(
      ReadPlan plan, int index, ReadRules.Collector collector, Progress p) {
    if (index >= plan.segments().size() || collector.isFull()) {
      return CompletableFuture.completedFuture(p);
    }
    SegmentRecord seg = plan.segments().get(index);
    return cache
        .get(seg.objectKey(), (k, executor) -> load(seg))
        .exceptionallyCompose(err -> missing(seg, err))
        .thenCompose(
            salvage -> {
              List<SegmentSalvage.DamagedRange> damaged = salvage.damaged();
              int d = 0;
              for (SequencedRecord r : salvage.records()) {
                while (d < damaged.size() && damaged.get(d).lastSeqNum() < r.seqNum()) {
                  if (meets(plan, collector, damaged.get(d++), p)) {
                    return CompletableFuture.completedFuture(p);
                  }
                }
                if (!offer(plan, collector, r, p)) {
                  return CompletableFuture.completedFuture(p);
                }
              }
              while (d < damaged.size()) {
                if (meets(plan, collector, damaged.get(d++), p)) {
                  return CompletableFuture.completedFuture(p);
                }
              }
              return readSegments(plan, index + 1, collector, p);
            });
  }

  /** A segment that failed to load: skipped if its row is gone, else a retryable storage error. */
  private CompletionStage<SegmentSalvage> missing(SegmentRecord seg, Throwable err) {
    if (!(Failures.unwrap(err) instanceof MissingSegment)) {
      return CompletableFuture.failedFuture(err);
    }
    return metadata
        .listSegments(seg.streamId())
        .thenApply(
            rows -> {
              if (rows.stream().anyMatch(r -> r.firstSeqNum() == seg.firstSeqNum())) {
                throw new S2Exception(
                    ErrorCode.STORAGE,
                    "segment " + seg.firstSeqNum() + "-" + seg.lastSeqNum() + " is missing; retry");
              }
              // deleted since the plan was made
              return new SegmentSalvage(List.of(), List.of(), null);
            });
  }

  public void invalidate(String key) {
    cache.synchronous().invalidate(key);
  }
}
