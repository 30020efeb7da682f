package io.millrace.engine.read;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.ReadRules;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.objectstore.ObjectStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Executes read plans outside the stream entities: segments through a small Caffeine cache of
 * decoded segments (concurrent misses of one segment share one fetch), then the in-memory records.
 */
public final class SegmentReader {
  /** A planned segment's object is missing. */
  private static final class MissingSegment extends RuntimeException {
    MissingSegment(String key) {
      super("segment " + key + " is missing", null, false, false);
    }
  }

  private final MetadataStore metadata;
  private final AsyncLoadingCache<String, List<SequencedRecord>> cache;

  /**
   * {@code metadata} tells whether a segment whose object is missing was deleted by trim, retention
   * or stream deletion after the entity planned the read (its row is gone: the segment is skipped,
   * as its records are no longer readable) or is missing while still indexed (a storage failure:
   * the read fails with {@code storage}, retryable).
   */
  public SegmentReader(ObjectStore objects, MetadataStore metadata, int maxSegments) {
    this.metadata = metadata;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxSegments)
            .buildAsync(
                (key, executor) ->
                    objects
                        .get(key)
                        .thenApply(
                            data ->
                                SegmentCodec.decode(
                                    data.orElseThrow(() -> new MissingSegment(key))))
                        .toCompletableFuture());
  }

  public CompletionStage<ReadBatch> execute(ReadPlan plan, ReadRules.Collector collector) {
    return readSegments(plan, 0, collector, new long[] {-1})
        .thenApply(
            last -> {
              for (SequencedRecord r : plan.memory()) {
                if (!offer(plan, collector, r, last)) {
                  break;
                }
              }
              return new ReadBatch(collector.records(), null);
            });
  }

  /** Offers {@code r} if it is admitted and new; false once the collector is full. */
  private static boolean offer(
      ReadPlan plan, ReadRules.Collector collector, SequencedRecord r, long[] last) {
    if (r.seqNum() <= last[0] || !plan.start().admits(r)) {
      return !collector.isFull();
    }
    if (!collector.offer(r)) {
      return false;
    }
    last[0] = r.seqNum();
    return true;
  }

  private CompletionStage<long[]> readSegments(
      ReadPlan plan, int index, ReadRules.Collector collector, long[] last) {
    if (index >= plan.segments().size() || collector.isFull()) {
      return CompletableFuture.completedFuture(last);
    }
    SegmentRecord seg = plan.segments().get(index);
    return cache
        .get(seg.objectKey())
        .exceptionallyCompose(
            err -> {
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
                              "segment " + seg.objectKey() + " is missing; retry");
                        }
                        return List.<SequencedRecord>of(); // deleted since the plan was made
                      });
            })
        .thenCompose(
            records -> {
              for (SequencedRecord r : records) {
                if (!offer(plan, collector, r, last)) {
                  return CompletableFuture.completedFuture(last);
                }
              }
              return readSegments(plan, index + 1, collector, last);
            });
  }

  public void invalidate(String key) {
    cache.synchronous().invalidate(key);
  }
}
