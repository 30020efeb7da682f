package io.millrace.engine.lifecycle;

import io.millrace.core.Failures;
import io.millrace.engine.EngineMetrics;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One full lifecycle sweep (issue 9, docs/adr/0006): every live stream of every basin ({@link
 * StreamSweep}: trim and retention deletion, delete-on-empty), then every channel incarnation
 * ({@link ChunkCollector}: WAL chunk GC). Steps run one at a time, never in parallel, and delete at
 * most {@code max-deletions-per-sweep} objects; a failed step is logged, counted and left for the
 * next sweep, and the sweep goes on. A plain class with injected stores and clock.
 */
public final class LifecycleSweep {
  private static final Logger log = LoggerFactory.getLogger(LifecycleSweep.class);
  private static final int PAGE = 1000;

  /** What a sweep did. */
  public record Summary(
      int streams, int objectsDeleted, long bytesDeleted, int channelsRemoved, int failures) {}

  private final MetadataStore metadata;
  private final StreamSweep streams;
  private final ChunkCollector chunks;
  private final StreamSweep.Tails tails;
  private final Clock clock;
  private final EngineMetrics metrics;
  private final LifecycleSettings settings;

  public LifecycleSweep(
      MetadataStore metadata,
      StreamSweep streams,
      ChunkCollector chunks,
      StreamSweep.Tails tails,
      Clock clock,
      EngineMetrics metrics,
      LifecycleSettings settings) {
    this.metadata = metadata;
    this.streams = streams;
    this.chunks = chunks;
    this.tails = tails;
    this.clock = clock;
    this.metrics = metrics;
    this.settings = settings;
  }

  /** Mutable totals of one sweep. */
  private static final class Totals {
    int streams;
    int objects;
    long bytes;
    int channelsRemoved;
    int failures;
    Long oldestBlocked;

    Summary summary() {
      return new Summary(streams, objects, bytes, channelsRemoved, failures);
    }
  }

  /** Runs one sweep; the stage fails only if listing basins or channels fails. */
  public CompletionStage<Summary> run() {
    long started = clock.millis();
    SweepBudget budget = new SweepBudget(settings.maxDeletionsPerSweep());
    Totals t = new Totals();
    return basins(null, budget, t)
        .thenCompose(x -> metadata.listChannels())
        .thenCompose(channels -> channels(channels, 0, budget, t))
        .thenApply(
            x -> {
              metrics.lifecycleSweeps.increment();
              metrics.lifecycleLastSweepStartMillis.set(started);
              metrics.lifecycleOldestUncollectedChunkAgeMillis.set(
                  t.oldestBlocked == null ? 0 : Math.max(0, clock.millis() - t.oldestBlocked));
              if (t.objects > 0 || t.channelsRemoved > 0 || t.failures > 0) {
                log.info(
                    "Lifecycle sweep: {} streams, {} objects ({} bytes) deleted, {} channels"
                        + " removed, {} failed steps.",
                    t.streams,
                    t.objects,
                    t.bytes,
                    t.channelsRemoved,
                    t.failures);
              }
              return t.summary();
            });
  }

  private CompletionStage<Void> basins(String startAfter, SweepBudget budget, Totals t) {
    return metadata
        .listBasins("", startAfter, PAGE)
        .thenCompose(
            page -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (BasinRecord b : page) {
                chain = chain.thenCompose(x -> streamsOf(b.name(), null, budget, t));
              }
              if (page.size() < PAGE) {
                return chain;
              }
              String last = page.get(page.size() - 1).name();
              return chain.thenCompose(x -> basins(last, budget, t));
            });
  }

  private CompletionStage<Void> streamsOf(
      String basin, String startAfter, SweepBudget budget, Totals t) {
    return guarded(
            "list the streams of basin " + basin,
            metadata.listStreams(basin, "", startAfter, PAGE),
            t)
        .thenCompose(
            page -> {
              if (page == null) {
                return CompletableFuture.completedFuture(null);
              }
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (StreamRecord s : page) {
                chain =
                    chain.thenCompose(
                        x ->
                            guarded(
                                    "sweep stream " + s.name() + " (id " + s.streamId() + ")",
                                    streams.sweep(s, budget),
                                    t)
                                .thenAccept(
                                    o -> {
                                      t.streams++;
                                      if (o != null) {
                                        t.objects += o.segmentsDeleted();
                                        t.bytes += o.bytesDeleted();
                                      }
                                    }));
              }
              if (page.size() < PAGE) {
                return chain;
              }
              String last = page.get(page.size() - 1).name();
              return chain.thenCompose(x -> streamsOf(basin, last, budget, t));
            });
  }

  private CompletionStage<Void> channels(
      List<ChannelRecord> channels, int i, SweepBudget budget, Totals t) {
    if (i >= channels.size()) {
      return CompletableFuture.completedFuture(null);
    }
    ChannelRecord ch = channels.get(i);
    return guarded("collect the WAL of channel " + ch.channelId(), chunks.collect(ch, budget), t)
        .thenCompose(
            o -> {
              if (o == null) {
                return CompletableFuture.completedFuture(null);
              }
              t.objects += o.objectsDeleted();
              t.bytes += o.bytesDeleted();
              t.channelsRemoved += o.channelRemoved() ? 1 : 0;
              if (o.blockedChunkTimestamp() != null) {
                t.oldestBlocked =
                    t.oldestBlocked == null
                        ? o.blockedChunkTimestamp()
                        : Math.min(t.oldestBlocked, o.blockedChunkTimestamp());
              }
              if (o.more()) {
                // The pass stopped after a page of chunks: go on with the same channel.
                return metadata
                    .getChannel(ch.channelId())
                    .thenCompose(
                        row ->
                            row.isEmpty()
                                ? CompletableFuture.<Void>completedFuture(null)
                                : channels(List.of(row.get()), 0, budget, t));
              }
              return wake(o.blockingStreams());
            })
        .thenCompose(x -> channels(channels, i + 1, budget, t));
  }

  /**
   * Activates the streams that still need a chunk (best effort): an activation recovers the stream
   * and, once idle, it flushes and seals, which frees the chunk for a later sweep. Without it a
   * stream whose owner crashed and that nobody reads again would pin its chunks forever.
   */
  private CompletionStage<Void> wake(Set<String> streamIds) {
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (String id : streamIds) {
      chain = chain.thenCompose(x -> tails.tail(id).handle((tail, err) -> (Void) null));
    }
    return chain;
  }

  /** {@code stage}'s value, or null after logging and counting its failure. */
  private static <T> CompletionStage<T> guarded(String what, CompletionStage<T> stage, Totals t) {
    return stage.handle(
        (v, err) -> {
          if (err != null) {
            t.failures++;
            log.warn("Lifecycle sweep could not {}: {}", what, Failures.unwrap(err).toString());
            return null;
          }
          return v;
        });
  }
}
