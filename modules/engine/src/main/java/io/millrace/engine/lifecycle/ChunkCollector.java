package io.millrace.engine.lifecycle;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.stream.StreamRecovery;
import io.millrace.engine.wal.Channel;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WAL chunk GC of one channel incarnation (issue 9 item 4, docs/adr/0006), a plain class with
 * injected stores. One pass:
 *
 * <ol>
 *   <li>Objects at or below the channel's watermark ({@code channels.collected_through}) are
 *       leftovers of an interrupted pass: deleted without further checks.
 *   <li>Above it, chunks are examined in chunk order. A chunk is <b>collectible</b> when no stream
 *       section in it is still needed: a section of stream {@code s} at epoch {@code e} is needed
 *       unless the stream is erased (tombstone state), {@code e} is below the state's epoch
 *       (recovery skips such streamlets), the streamlet row {@code (s, e)} is gone, the streamlet
 *       is sealed below this chunk or at or below the flushed position, or every record of the
 *       section lies below the stream's {@code flushed_next_seq_num} (it is in a segment, which
 *       trim and retention then govern). Each of these only ever becomes true, never false again,
 *       so a judgement never goes stale in the unsafe direction.
 *   <li>The longest collectible prefix (stopping at the first needed chunk, a missing chunk, or a
 *       seal) is collected: first the watermark is raised to its last chunk, then the chunks are
 *       deleted. Recovery reads and seals a channel's WAL only above the watermark, so a crash
 *       after the raise leaves leftovers that step 1 of the next pass deletes, and never a hole
 *       that recovery would mistake for a lost chunk.
 *   <li>A channel that is fully collected up to its seal (a recovering owner or the dying channel
 *       wrote it), or that is known dead ({@link Liveness}) and fully collected up to its first
 *       missing chunk (then sealed here, create-only, exactly as recovery seals a channel), is
 *       finished: its seal is recorded, the seal and any objects above it (never acknowledged) are
 *       deleted, and the channel row is removed last. Recovery treats a streamlet whose channel row
 *       is gone as fully collected.
 * </ol>
 */
public final class ChunkCollector {
  private static final Logger log = LoggerFactory.getLogger(ChunkCollector.class);
  private static final int PAGE = 100;

  /** Whether a channel incarnation is known to be dead (it will never write another chunk). */
  public interface Liveness {
    boolean isDead(ChannelRecord channel);
  }

  /**
   * What one pass did: chunks collected, their bytes, whether the channel was finished and removed,
   * and, when it stopped at a needed chunk, the newest record timestamp in that chunk (its age is
   * the "oldest uncollected chunk" metric) and the streams that still need it; {@code more} when it
   * stopped only because one pass examines at most a page of chunks (another pass goes on).
   */
  public record Outcome(
      int objectsDeleted,
      long bytesDeleted,
      boolean channelRemoved,
      Long blockedChunkTimestamp,
      Set<String> blockingStreams,
      boolean more) {}

  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final Liveness liveness;
  private final EngineMetrics metrics;
  private final int deleteConcurrency;

  public ChunkCollector(
      ObjectStore objects,
      MetadataStore metadata,
      Liveness liveness,
      EngineMetrics metrics,
      int deleteConcurrency) {
    this.objects = objects;
    this.metadata = metadata;
    this.liveness = liveness;
    this.metrics = metrics;
    this.deleteConcurrency = deleteConcurrency;
  }

  /** The streams of one pass: their state and streamlets, read once (refreshed when missing). */
  private final class Streams {
    private final Map<String, Optional<StreamStateRecord>> states = new HashMap<>();
    private final Map<String, List<StreamletRecord>> streamlets = new HashMap<>();

    CompletionStage<Boolean> needed(StreamSection section, long chunkSeq) {
      String id = section.streamId();
      return state(id)
          .thenCompose(
              st -> {
                if (st.isPresent()
                    && (StreamRecovery.isTombstone(st.get())
                        || section.epoch() < st.get().epoch())) {
                  return CompletableFuture.completedFuture(false);
                }
                long flushed = st.map(StreamStateRecord::flushedNextSeqNum).orElse(0L);
                return streamlet(id, section.epoch(), false)
                    .thenApply(
                        row -> row.isPresent() && neededBy(row.get(), section, chunkSeq, flushed));
              });
    }

    private CompletionStage<Optional<StreamStateRecord>> state(String id) {
      Optional<StreamStateRecord> known = states.get(id);
      if (known != null) {
        return CompletableFuture.completedFuture(known);
      }
      return metadata
          .getStreamState(id)
          .thenApply(
              st -> {
                states.put(id, st);
                return st;
              });
    }

    /** The streamlet row; a row not found in the cached list is looked up again once. */
    private CompletionStage<Optional<StreamletRecord>> streamlet(
        String id, long epoch, boolean fresh) {
      List<StreamletRecord> known = fresh ? null : streamlets.get(id);
      CompletionStage<List<StreamletRecord>> rows =
          known != null
              ? CompletableFuture.completedFuture(known)
              : metadata
                  .listStreamlets(id)
                  .thenApply(
                      l -> {
                        streamlets.put(id, l);
                        return l;
                      });
      return rows.thenCompose(
          l -> {
            Optional<StreamletRecord> row = l.stream().filter(r -> r.epoch() == epoch).findFirst();
            if (row.isEmpty() && known != null) {
              return streamlet(id, epoch, true); // created after the list was read?
            }
            return CompletableFuture.completedFuture(row);
          });
    }
  }

  private static boolean neededBy(
      StreamletRecord row, StreamSection section, long chunkSeq, long flushed) {
    Long sealedNext = row.sealedNextSeqNum();
    if (sealedNext != null) {
      if ((row.lastChunkSeq() != null && chunkSeq > row.lastChunkSeq()) || sealedNext <= flushed) {
        return false;
      }
    }
    for (SequencedRecord r : section.records()) {
      if (r.seqNum() >= flushed && (sealedNext == null || r.seqNum() < sealedNext)) {
        return true;
      }
    }
    return false;
  }

  /** Why the walk over the chunks above the watermark stopped. */
  private enum Stop {
    NEEDED,
    MISSING,
    SEAL,
    BUDGET
  }

  /** The walk's result: collectible chunks in order, why it stopped, and at which chunk seq. */
  private static final class Walk {
    final List<ObjectInfo> collectible = new ArrayList<>();
    Stop stop;
    long at;
    Long blockedTimestamp;
    final Set<String> blocking = new LinkedHashSet<>();
  }

  /** One GC pass over {@code channel}, deleting at most what {@code budget} allows. */
  public CompletionStage<Outcome> collect(ChannelRecord channel, SweepBudget budget) {
    String id = channel.channelId();
    String prefix = Channel.walPrefix(id);
    long first = channel.firstUncollected();
    long[] deleted = {0, 0};
    return objects
        .list(prefix, null, PAGE)
        .thenCompose(
            page -> {
              // Step 1: leftovers at or below the watermark.
              List<ObjectInfo> leftovers = new ArrayList<>();
              List<ObjectInfo> above = new ArrayList<>();
              for (ObjectInfo o : page) {
                (seqOf(prefix, o) < first ? leftovers : above).add(o);
              }
              CompletionStage<Void> cleaned = deleteAll(leftovers, budget, deleted);
              boolean more = page.size() == PAGE && above.isEmpty();
              if (more) {
                return cleaned.thenApply(
                    x ->
                        new Outcome(
                            (int) deleted[0], deleted[1], false, null, Set.of(), !budget.spent()));
              }
              Walk walk = new Walk();
              walk.at = first;
              return cleaned
                  .thenCompose(
                      x -> walk(prefix, above, 0, page.size() == PAGE, new Streams(), walk, budget))
                  .thenCompose(w -> collectPrefix(id, w, budget, deleted))
                  .thenCompose(w -> finishIfDone(channel, w, budget, deleted))
                  .thenApply(
                      removed ->
                          new Outcome(
                              (int) deleted[0],
                              deleted[1],
                              removed,
                              walk.stop == Stop.NEEDED ? walk.blockedTimestamp : null,
                              Set.copyOf(walk.blocking),
                              walk.stop == Stop.BUDGET && !removed && !budget.spent()));
            });
  }

  private static long seqOf(String prefix, ObjectInfo o) {
    return Long.parseLong(o.key().substring(prefix.length()));
  }

  /** Examines {@code listed[i..]} in order from chunk {@code walk.at}. */
  private CompletionStage<Walk> walk(
      String prefix,
      List<ObjectInfo> listed,
      int i,
      boolean pageWasFull,
      Streams streams,
      Walk walk,
      SweepBudget budget) {
    if (i >= listed.size()) {
      if (pageWasFull) {
        // More objects after this page: list on from the last one listed.
        String after = listed.isEmpty() ? null : listed.get(listed.size() - 1).key();
        return objects
            .list(prefix, after, PAGE)
            .thenCompose(
                page ->
                    page.isEmpty()
                        ? finished(walk, Stop.MISSING)
                        : walk(prefix, page, 0, page.size() == PAGE, streams, walk, budget));
      }
      return finished(walk, Stop.MISSING);
    }
    ObjectInfo o = listed.get(i);
    if (seqOf(prefix, o) != walk.at) {
      return finished(walk, Stop.MISSING);
    }
    if (walk.collectible.size() >= PAGE || budget.spent()) {
      return finished(walk, Stop.BUDGET);
    }
    return objects
        .get(o.key())
        .thenCompose(
            data -> {
              if (data.isEmpty()) {
                return finished(walk, Stop.MISSING);
              }
              WalObject obj = WalChunkCodec.decode(data.get());
              if (obj instanceof WalObject.Seal) {
                return finished(walk, Stop.SEAL);
              }
              WalObject.Chunk chunk = (WalObject.Chunk) obj;
              return anyNeeded(chunk, 0, streams, walk)
                  .thenCompose(
                      needed -> {
                        if (needed) {
                          walk.blockedTimestamp = newestTimestamp(chunk);
                          return finished(walk, Stop.NEEDED);
                        }
                        walk.collectible.add(o);
                        walk.at++;
                        return walk(prefix, listed, i + 1, pageWasFull, streams, walk, budget);
                      });
            });
  }

  private static CompletionStage<Walk> finished(Walk walk, Stop stop) {
    walk.stop = stop;
    return CompletableFuture.completedFuture(walk);
  }

  private CompletionStage<Boolean> anyNeeded(
      WalObject.Chunk chunk, int i, Streams streams, Walk walk) {
    if (i >= chunk.sections().size()) {
      return CompletableFuture.completedFuture(!walk.blocking.isEmpty());
    }
    StreamSection section = chunk.sections().get(i);
    return streams
        .needed(section, chunk.chunkSeq())
        .thenCompose(
            needed -> {
              if (needed) {
                walk.blocking.add(section.streamId());
              }
              return anyNeeded(chunk, i + 1, streams, walk);
            });
  }

  private static Long newestTimestamp(WalObject.Chunk chunk) {
    long newest = Long.MIN_VALUE;
    for (StreamSection s : chunk.sections()) {
      for (SequencedRecord r : s.records()) {
        newest = Math.max(newest, r.timestamp());
      }
    }
    return newest == Long.MIN_VALUE ? null : newest;
  }

  /** Raises the watermark over the collectible prefix, then deletes its chunks. */
  private CompletionStage<Walk> collectPrefix(
      String channelId, Walk walk, SweepBudget budget, long[] deleted) {
    if (walk.collectible.isEmpty()) {
      return CompletableFuture.completedFuture(walk);
    }
    long through = walk.at - 1;
    return metadata
        .raiseCollectedThrough(channelId, through)
        .thenCompose(x -> deleteAll(walk.collectible, budget, deleted))
        .thenApply(
            x -> {
              log.debug("Channel {}: WAL chunks through {} collected.", channelId, through);
              return walk;
            });
  }

  /**
   * Finishes a channel whose WAL is collected up to its seal, or that is dead and collected up to
   * its first missing chunk (sealed here first); true if its row was removed.
   */
  private CompletionStage<Boolean> finishIfDone(
      ChannelRecord channel, Walk walk, SweepBudget budget, long[] deleted) {
    String id = channel.channelId();
    if (walk.stop == Stop.SEAL) {
      return finish(id, walk.at, budget, deleted);
    }
    if (walk.stop != Stop.MISSING) {
      return CompletableFuture.completedFuture(false);
    }
    Long seal = channel.sealChunkSeq();
    if (seal != null && walk.at >= seal) {
      return finish(id, seal, budget, deleted); // the seal object went in an interrupted finish
    }
    if (seal != null || !liveness.isDead(channel)) {
      return CompletableFuture.completedFuture(false);
    }
    long at = walk.at;
    return objects
        .putIfAbsent(Channel.walKey(id, at), WalChunkCodec.encodeSeal(id, at))
        .handle(
            (ok, err) -> {
              if (err == null) {
                log.info("Channel {} is dead and collected; sealed at chunk {}.", id, at);
                return finish(id, at, budget, deleted);
              }
              if (unwrap(err) instanceof ObjectAlreadyExistsException) {
                return CompletableFuture.completedFuture(false); // the next pass looks again
              }
              return CompletableFuture.<Boolean>failedFuture(unwrap(err));
            })
        .thenCompose(x -> x);
  }

  /** Records the seal, deletes the seal and everything above it, then removes the row. */
  private CompletionStage<Boolean> finish(
      String channelId, long seal, SweepBudget budget, long[] deleted) {
    String prefix = Channel.walPrefix(channelId);
    return metadata
        .sealChannel(channelId, seal)
        .thenCompose(x -> objects.list(prefix, null, PAGE))
        .thenCompose(
            rest -> {
              for (ObjectInfo o : rest) {
                if (seqOf(prefix, o) < seal) {
                  return CompletableFuture.completedFuture(false); // not collected: not ours
                }
              }
              return deleteAll(rest, budget, deleted)
                  .thenCompose(
                      x -> {
                        if (rest.size() == PAGE || budget.spent()) {
                          return CompletableFuture.completedFuture(false); // next pass
                        }
                        return metadata
                            .deleteChannel(channelId)
                            .thenApply(
                                y -> {
                                  log.info(
                                      "Channel {}: WAL fully collected; channel removed.",
                                      channelId);
                                  return true;
                                });
                      });
            });
  }

  /**
   * Deletes {@code keys} while the budget lasts, {@code deleteConcurrency} at a time (their order
   * does not matter: see the class comment); a failed delete fails the pass after its window.
   */
  private CompletionStage<Void> deleteAll(
      List<ObjectInfo> keys, SweepBudget budget, long[] deleted) {
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (int from = 0; from < keys.size(); from += deleteConcurrency) {
      List<ObjectInfo> window = keys.subList(from, Math.min(keys.size(), from + deleteConcurrency));
      chain = chain.thenCompose(x -> deleteWindow(window, budget, deleted));
    }
    return chain;
  }

  private CompletionStage<Void> deleteWindow(
      List<ObjectInfo> window, SweepBudget budget, long[] deleted) {
    List<CompletableFuture<Void>> deletes = new ArrayList<>(window.size());
    for (ObjectInfo o : window) {
      if (!budget.take()) {
        break;
      }
      deletes.add(
          objects
              .delete(o.key())
              .thenRun(
                  () -> {
                    synchronized (deleted) {
                      deleted[0]++;
                      deleted[1] += o.size();
                    }
                    metrics.lifecycleDeletedObjects.increment();
                    metrics.lifecycleDeletedBytes.add(o.size());
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
  }
}
