package io.millrace.engine.stream;

import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.DamageReport;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.format.CorruptObjectException;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Activation of a stream (architecture section 5): rebuilds its durable state from stream_state,
 * the segment index and the WAL chunks of the streamlets after the state, sealing the channel of
 * every streamlet that was not handed off gracefully before trusting its WAL.
 *
 * <p>Damage is never sealed over (issue 14): a WAL chunk that recovery needs and that is missing
 * below the seal, or corrupt, fails the activation with {@link ErrorCode#DATA_LOSS} instead of
 * ending the replay early (which would move the tail back and hand out acknowledged seq nums
 * again). A dead channel whose first missing chunk <i>m</i> is followed by a chunk at or beyond
 * <i>m</i> + {@code max-chunk-writes-in-flight} is not sealed at all: such a chunk could only have
 * been written after <i>m</i> was, so <i>m</i> was written and lost, not crash debris. Chunks below
 * the channel's {@link WalHorizon} (collected on purpose) are never needed and never a hole.
 */
public final class StreamRecovery {
  private static final Logger log = LoggerFactory.getLogger(StreamRecovery.class);
  private static final int CHUNK_READ_WINDOW = 16;

  /**
   * How often one activation starts its reads over (a streamlet list older than the state, segments
   * beyond the WAL, a refused epoch claim) before it fails.
   */
  private static final int MAX_RETRIES = 3;

  /**
   * A recovered stream: its durable state, its segments, the durable records after them (in
   * memory), and the highest epoch any activation has used (the epoch this recovery claimed, once
   * {@link #recover} completes).
   */
  record Recovered(
      StreamSequencer.State state,
      List<SegmentRecord> segments,
      List<SequencedRecord> unflushed,
      long flushedNextSeqNum,
      long maxEpoch,
      Steps steps) {}

  /**
   * Where one recovery's time went: logged with a taken-over stream's first append (a failover's or
   * a move's recovery, docs/adr/0011). Filled by one recovery's steps, which run one after another.
   */
  static final class Steps {
    private long metadataNanos;
    private long rebuildNanos;
    private long sealNanos;
    private long claimNanos;
    private int chunksRead;
    private int attempts;

    @Override
    public String toString() {
      return String.format(
          "metadata reads %d ms, sealing %d ms, replay of %d WAL chunks %d ms, epoch claim %d ms"
              + " (%d attempt%s)",
          millis(metadataNanos),
          millis(sealNanos),
          chunksRead,
          millis(rebuildNanos - sealNanos),
          millis(claimNanos),
          attempts,
          attempts == 1 ? "" : "s");
    }

    private static long millis(long nanos) {
      return Math.round(nanos / 1e6);
    }
  }

  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final WalChunkCache chunks;
  private final int maxChunkWritesInFlight;
  private final WalHorizon horizon;
  private final DamageReport damage;

  /**
   * {@code maxChunkWritesInFlight} bounds how far below a streamlet's first chunk its channel may
   * still have had unwritten chunks (a channel closes a chunk only while fewer writes are in
   * flight, and acknowledges in order), so the channel's first missing chunk is searched from
   * there.
   */
  StreamRecovery(
      ObjectStore objects,
      MetadataStore metadata,
      WalChunkCache chunks,
      int maxChunkWritesInFlight,
      WalHorizon horizon,
      DamageReport damage) {
    this.objects = objects;
    this.metadata = metadata;
    this.chunks = chunks;
    this.maxChunkWritesInFlight = maxChunkWritesInFlight;
    this.horizon = horizon;
    this.damage = damage;
  }

  /**
   * The stream_state row an erase leaves behind: an id with it is never activated again (its epoch
   * is beyond any real epoch, its flushed position is impossible).
   */
  static StreamStateRecord tombstone(String streamId) {
    return new StreamStateRecord(streamId, -1, -1, 0, "", 0, Long.MAX_VALUE);
  }

  public static boolean isTombstone(StreamStateRecord state) {
    return state.epoch() == Long.MAX_VALUE && state.flushedNextSeqNum() == -1;
  }

  CompletionStage<Recovered> recover(String streamId) {
    return recover(streamId, 0, new Steps());
  }

  /**
   * Reads the stream's highest epoch, then the three tables in the reverse order of a segment
   * flush's writes (segment row, then stream state, then deletion of the streamlets below the
   * state's epoch), each after the one before has answered, so that whatever a flush still running
   * elsewhere (an owner that has not noticed it was replaced) has done, what is read fits together:
   * a deletion seen means the state and segment before it are seen, a state seen means its segment
   * is seen. A streamlet list older than the state (no streamlet at the state's epoch, which a
   * flush at that epoch needs) is read again. Read at once, the three could miss records that are
   * neither in a listed segment nor replayed (found by the engine simulation,
   * docs/verification.md).
   *
   * <p>After the replay the recovery claims the next epoch ({@link #claim}); only then is the
   * stream served.
   */
  private CompletionStage<Recovered> recover(String streamId, int attempt, Steps steps) {
    long started = System.nanoTime();
    steps.attempts++;
    return metadata
        .latestStreamletEpoch(streamId)
        .thenCompose(
            latest ->
                metadata
                    .listStreamlets(streamId)
                    .thenCompose(
                        lets ->
                            metadata
                                .getStreamState(streamId)
                                .thenCompose(
                                    st ->
                                        metadata
                                            .listSegments(streamId)
                                            .thenCompose(
                                                segs -> {
                                                  steps.metadataNanos +=
                                                      System.nanoTime() - started;
                                                  return attempt < MAX_RETRIES
                                                          && olderThanState(lets, st)
                                                      ? recover(streamId, attempt + 1, steps)
                                                      : rebuildAndClaim(
                                                          streamId, latest, st, segs, lets, attempt,
                                                          steps);
                                                }))));
  }

  private CompletionStage<Recovered> rebuildAndClaim(
      String streamId,
      long latestRead,
      Optional<StreamStateRecord> st,
      List<SegmentRecord> segments,
      List<StreamletRecord> streamlets,
      int attempt,
      Steps steps) {
    long started = System.nanoTime();
    return rebuild(streamId, st, segments, streamlets, steps)
        .handle(
            (r, e) -> {
              steps.rebuildNanos += System.nanoTime() - started;
              if (e == null) {
                return claim(streamId, latestRead, streamlets, r, attempt, steps);
              }
              return attempt < MAX_RETRIES && Failures.unwrap(e) instanceof SegmentsBeyondWal
                  ? recover(streamId, attempt + 1, steps)
                  : CompletableFuture.<Recovered>failedFuture(e);
            })
        .thenCompose(x -> x);
  }

  /**
   * Claims the epoch above everything this recovery saw (ADR 0004, "Claimed epochs"), conditional
   * on the stream's highest epoch still being the highest it saw: read before the streamlet list,
   * or a higher streamlet the list found. Applied, it fences every earlier owner, which can then
   * neither open nor seal a streamlet, while the channels of the streamlets it may still write were
   * sealed by the replay: nothing can be acknowledged that this recovery did not see, so its tail
   * may be served. Refused, another owner opened a streamlet (or claimed) after the list, perhaps
   * acknowledging records this replay missed (engine simulation seed 210): the recovery starts
   * over. The claimed epoch is also above the state's epoch, which an owner whose streamlet create
   * failed may have written without a streamlet at it.
   */
  private CompletionStage<Recovered> claim(
      String streamId,
      long latestRead,
      List<StreamletRecord> streamlets,
      Recovered r,
      int attempt,
      Steps steps) {
    long started = System.nanoTime();
    long seen =
        Math.max(latestRead, streamlets.stream().mapToLong(StreamletRecord::epoch).max().orElse(0));
    long epoch = Math.max(seen, r.maxEpoch()) + 1;
    return metadata
        .claimStreamletEpoch(streamId, seen, epoch)
        .thenCompose(
            claimed -> {
              steps.claimNanos += System.nanoTime() - started;
              if (claimed) {
                return CompletableFuture.completedFuture(
                    new Recovered(
                        r.state(),
                        r.segments(),
                        r.unflushed(),
                        r.flushedNextSeqNum(),
                        epoch,
                        steps));
              }
              log.debug(
                  "Stream {}: another owner opened or claimed an epoch above {} during recovery;"
                      + " recovering again.",
                  streamId,
                  seen);
              if (attempt >= MAX_RETRIES) {
                return CompletableFuture.failedFuture(
                    new S2Exception(
                        ErrorCode.UNAVAILABLE,
                        "stream " + streamId + " is being activated elsewhere; retry"));
              }
              return recover(streamId, attempt + 1, steps);
            });
  }

  /**
   * The segment index reaches past every record the streamlets read replay. Besides damage, this is
   * what a streamlet list read before a running owner opened its next epoch looks like when the
   * segment list, read later, already holds that epoch's records (the state, read in between, still
   * names the older epoch, so {@link #olderThanState} cannot tell): the read is repeated, and only
   * a repeated mismatch fails the recovery (engine simulation seed 124, docs/verification.md).
   */
  private static final class SegmentsBeyondWal extends IllegalStateException {
    SegmentsBeyondWal(String message) {
      super(message);
    }
  }

  private static boolean olderThanState(
      List<StreamletRecord> streamlets, Optional<StreamStateRecord> state) {
    if (state.isEmpty() || isTombstone(state.get())) {
      return false;
    }
    long epoch = state.get().epoch();
    return streamlets.stream().noneMatch(l -> l.epoch() >= epoch);
  }

  private CompletionStage<Recovered> rebuild(
      String streamId,
      Optional<StreamStateRecord> st,
      List<SegmentRecord> segments,
      List<StreamletRecord> streamlets,
      Steps steps) {
    return CompletableFuture.completedFuture(null)
        .thenCompose(
            v -> {
              if (st.isPresent() && isTombstone(st.get())) {
                return CompletableFuture.failedFuture(
                    new S2Exception(ErrorCode.STREAM_NOT_FOUND, "stream was deleted"));
              }
              StreamSequencer.State state =
                  st.map(
                          s ->
                              new StreamSequencer.State(
                                  s.tailSeqNum(),
                                  s.tailTimestamp(),
                                  s.fencingToken(),
                                  s.trimPoint()))
                      .orElse(StreamSequencer.State.INITIAL);
              long stateEpoch = st.map(StreamStateRecord::epoch).orElse(Long.MIN_VALUE);
              long flushed = st.map(StreamStateRecord::flushedNextSeqNum).orElse(0L);
              if (!segments.isEmpty()) {
                flushed = Math.max(flushed, segments.get(segments.size() - 1).lastSeqNum() + 1);
              }
              long maxEpoch = st.map(StreamStateRecord::epoch).orElse(0L);
              for (StreamletRecord s : streamlets) {
                maxEpoch = Math.max(maxEpoch, s.epoch());
              }
              Replay replay = new Replay(streamId, state, flushed);
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (StreamletRecord s : streamlets) {
                if (s.epoch() < stateEpoch) {
                  continue;
                }
                chain =
                    chain.thenCompose(
                        x -> {
                          // A sealed streamlet whose records all lie below the recovered tail
                          // (they are in segments) adds nothing: its chunks are not read.
                          if (s.sealedNextSeqNum() != null
                              && s.sealedNextSeqNum() <= replay.state.nextSeqNum()) {
                            return CompletableFuture.completedFuture(null);
                          }
                          return replayStreamlet(s, replay, steps);
                        });
              }
              long finalFlushed = flushed;
              long finalMaxEpoch = maxEpoch;
              return chain.thenApply(
                  x -> {
                    if (finalFlushed > replay.state.nextSeqNum()) {
                      throw new SegmentsBeyondWal(
                          "stream "
                              + streamId
                              + ": segments reach seq num "
                              + finalFlushed
                              + " but the WAL only reaches "
                              + replay.state.nextSeqNum());
                    }
                    return new Recovered(
                        replay.state, segments, replay.kept, finalFlushed, finalMaxEpoch, steps);
                  });
            });
  }

  /** Replay state: records must continue the stream densely. */
  private static final class Replay {
    final String streamId;
    StreamSequencer.State state;
    final long flushed;
    final List<SequencedRecord> kept = new ArrayList<>();

    Replay(String streamId, StreamSequencer.State state, long flushed) {
      this.streamId = streamId;
      this.state = state;
      this.flushed = flushed;
    }

    void apply(long epoch, SequencedRecord r) {
      if (r.seqNum() < state.nextSeqNum()) {
        return;
      }
      if (r.seqNum() > state.nextSeqNum()) {
        throw new IllegalStateException(
            "stream "
                + streamId
                + " epoch "
                + epoch
                + ": WAL record seq num "
                + r.seqNum()
                + " leaves a gap after "
                + state.nextSeqNum());
      }
      state = state.after(r);
      if (r.seqNum() >= flushed) {
        kept.add(r);
      }
    }
  }

  /**
   * Replays one streamlet's WAL from the channel's {@link WalHorizon}: chunks below it were
   * collected by the chunk GC (every section was flushed, trimmed, expired or deleted), so reading
   * starts there; a channel whose row is gone ({@link WalHorizon#COLLECTED}) was collected entirely
   * (a channel registers its row before it writes any chunk, and the GC removes it last), so its
   * streamlet adds nothing and its WAL is not sealed.
   */
  private CompletionStage<Void> replayStreamlet(StreamletRecord s, Replay replay, Steps steps) {
    return horizon
        .firstNeededChunk(s.channelId())
        .thenCompose(
            needed -> {
              if (needed == WalHorizon.COLLECTED) {
                log.debug(
                    "Stream {} epoch {}: channel {} was collected; nothing to replay.",
                    s.streamId(),
                    s.epoch(),
                    s.channelId());
                return CompletableFuture.completedFuture(null);
              }
              return replayStreamlet(s, Math.max(0, needed), replay, steps);
            });
  }

  private CompletionStage<Void> replayStreamlet(
      StreamletRecord s, long needed, Replay replay, Steps steps) {
    long from = Math.max(s.firstChunkSeq(), needed);
    if (s.sealedNextSeqNum() != null) {
      long last = s.lastChunkSeq() == null ? s.firstChunkSeq() - 1 : s.lastChunkSeq();
      return readChunks(s, from, last, s.sealedNextSeqNum(), replay, steps);
    }
    long searchFrom = Math.max(needed, Math.max(0, s.firstChunkSeq() - maxChunkWritesInFlight));
    long sealStarted = System.nanoTime();
    return sealChannel(s.channelId(), searchFrom, from)
        .thenCompose(
            seal -> {
              steps.sealNanos += System.nanoTime() - sealStarted;
              log.info(
                  "Stream {} epoch {} was not handed off; channel {} is sealed at chunk {}.",
                  s.streamId(),
                  s.epoch(),
                  s.channelId(),
                  seal);
              return readChunks(s, from, seal - 1, Long.MAX_VALUE, replay, steps);
            });
  }

  /**
   * Reads chunks [from, to] in order, stopping at a seal object. Every chunk in the range is
   * needed: one that is missing or corrupt fails the replay with {@link ErrorCode#DATA_LOSS}.
   */
  private CompletionStage<Void> readChunks(
      StreamletRecord s, long from, long to, long below, Replay replay, Steps steps) {
    ChunkReader reader = new ChunkReader(s, from, to, below, replay, steps);
    return CompletableFuture.completedFuture(null).thenCompose(x -> reader.drain());
  }

  /**
   * One in-order read of chunks [from, to] with up to {@link #CHUNK_READ_WINDOW} GETs in flight:
   * the GET of a chunk is sent as soon as the one {@code CHUNK_READ_WINDOW} chunks before it has
   * been applied, so a slow GET holds back only its own place in the order, not a whole batch of
   * reads (failover replays many small chunks from the object store). At most the window's chunks
   * are in memory at once (each at most {@code chunk-max-bytes}).
   */
  private final class ChunkReader {
    private final StreamletRecord s;
    private final long to;
    private final long below;
    private final Replay replay;
    private final Steps steps;
    private final ArrayDeque<CompletableFuture<Optional<byte[]>>> window = new ArrayDeque<>();

    /** The chunk the head of the window holds. */
    private long next;

    /** The next chunk to send a GET for. */
    private long unsent;

    ChunkReader(StreamletRecord s, long from, long to, long below, Replay replay, Steps steps) {
      this.s = s;
      this.to = to;
      this.below = below;
      this.replay = replay;
      this.steps = steps;
      this.next = from;
      this.unsent = from;
      fill();
    }

    private void fill() {
      while (unsent <= to && window.size() < CHUNK_READ_WINDOW) {
        window.add(chunks.get(Channel.walKey(s.channelId(), unsent)).toCompletableFuture());
        unsent++;
        steps.chunksRead++;
      }
    }

    /** Applies the chunks at the head of the window that have arrived, then waits for the next. */
    CompletionStage<Void> drain() {
      while (!window.isEmpty()) {
        CompletableFuture<Optional<byte[]>> head = window.peek();
        if (!head.isDone()) {
          return head.exceptionally(e -> Optional.empty()).thenCompose(x -> drain());
        }
        window.poll();
        long k = next++;
        Optional<byte[]> data = head.join();
        if (data.isEmpty()) {
          return missingChunk(s, k, to, below, replay, steps);
        }
        Optional<StreamSection> section;
        boolean seal;
        try {
          section = WalChunkCodec.decodeSection(data.get(), s.streamId());
          seal = section.isEmpty() && WalChunkCodec.decode(data.get()) instanceof WalObject.Seal;
        } catch (CorruptObjectException e) {
          throw lost(s, k, "is corrupt (" + e.getMessage() + ")");
        }
        if (seal) {
          return CompletableFuture.completedFuture(null);
        }
        if (section.isPresent() && section.get().epoch() == s.epoch()) {
          for (SequencedRecord r : section.get().records()) {
            if (r.seqNum() < below) {
              replay.apply(s.epoch(), r);
            }
          }
        }
        fill();
      }
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Chunk {@code k}, which {@code s} needs, is missing: if the chunk GC collected it since the
   * replay began (the horizon passed it, or the channel row is gone), reading goes on from the new
   * horizon (every collected chunk held only records recovery skips); otherwise it was lost.
   */
  private CompletionStage<Void> missingChunk(
      StreamletRecord s, long k, long to, long below, Replay replay, Steps steps) {
    return horizon
        .firstNeededChunk(s.channelId())
        .thenCompose(
            needed -> {
              if (needed == WalHorizon.COLLECTED) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (needed > k) {
                return readChunks(s, needed, to, below, replay, steps);
              }
              throw lost(s, k, "is missing");
            });
  }

  /** A chunk that {@code s} needs is damaged: reported, and the activation fails with it. */
  private S2Exception lost(StreamletRecord s, long chunkSeq, String what) {
    String detail =
        "WAL chunk "
            + chunkSeq
            + " of channel "
            + s.channelId()
            + " "
            + what
            + "; it holds acknowledged records of stream "
            + s.streamId()
            + " (epoch "
            + s.epoch()
            + ")";
    damage.report(DamageReport.Kind.CHANNEL, s.channelId(), detail);
    log.error("Stream {} cannot be recovered: {}. Run millrace verify.", s.streamId(), detail);
    return new S2Exception(
        ErrorCode.DATA_LOSS,
        "stream needs repair: " + detail + "; run millrace verify on the server");
  }

  /**
   * Seals a channel incarnation's WAL at its first missing chunk, searched from {@code fromChunk}
   * (every chunk below it is known to be written); returns the seal's chunk seq. One seal per
   * channel runs at a time on a node.
   */
  CompletionStage<Long> sealChannel(String channelId, long fromChunk) {
    return sealChannel(channelId, fromChunk, Long.MAX_VALUE);
  }

  /**
   * Seals as {@link #sealChannel(String, long)}; once the WAL listing has found the first missing
   * chunk, the chunks from {@code replayFrom} up to it (at most {@link #CHUNK_READ_WINDOW}) are
   * read into the {@link WalChunkCache} while the seal is written, for the replay that follows.
   * They exist (the listing saw them), and a WAL key never changes once written.
   */
  private CompletionStage<Long> sealChannel(String channelId, long fromChunk, long replayFrom) {
    return chunks.sealOnce(channelId, () -> doSealChannel(channelId, fromChunk, replayFrom));
  }

  private CompletionStage<Long> doSealChannel(String channelId, long fromChunk, long replayFrom) {
    return metadata
        .getChannel(channelId)
        .thenCompose(
            ch -> {
              Optional<Long> sealed = ch.map(ChannelRecord::sealChunkSeq);
              if (sealed.isPresent()) {
                return CompletableFuture.completedFuture(sealed.get());
              }
              // Collected chunks are missing on purpose: the search starts above the watermark.
              long from = Math.max(fromChunk, ch.map(ChannelRecord::firstUncollected).orElse(0L));
              String startAfter = from == 0 ? null : Channel.walKey(channelId, from - 1);
              return firstMissing(channelId, startAfter, from)
                  .thenApply(
                      m -> {
                        long k0 = Math.max(from, replayFrom);
                        for (long k = k0; k < m && k < k0 + CHUNK_READ_WINDOW; k++) {
                          chunks.get(Channel.walKey(channelId, k));
                        }
                        return m;
                      })
                  .thenCompose(
                      m ->
                          isSeal(channelId, m - 1, from)
                              .thenCompose(
                                  isSealed ->
                                      isSealed
                                          ? CompletableFuture.completedFuture(m - 1)
                                          : refuseHole(channelId, m)
                                              .thenCompose(x -> writeSeal(channelId, x))))
                  .thenCompose(m -> metadata.sealChannel(channelId, m).thenApply(x -> m));
            });
  }

  /**
   * Whether chunk {@code k} (which the listing found, if {@code k >= from}) is a seal object of
   * this channel: another node's recovery sealed the channel there and has not recorded it in the
   * channel row yet. That seal is the channel's seal (every chunk below it exists; the channel can
   * write nothing at it, and readers stop there), so a second recovery takes it instead of writing
   * another seal one chunk later.
   */
  private CompletionStage<Boolean> isSeal(String channelId, long k, long from) {
    if (k < from) {
      return CompletableFuture.completedFuture(false);
    }
    return chunks
        .get(Channel.walKey(channelId, k))
        .thenApply(
            data -> {
              if (data.isEmpty()) {
                return false;
              }
              try {
                return WalChunkCodec.decodeTrailer(data.get()).kind() == WalChunkCodec.Kind.SEAL
                    && WalChunkCodec.decode(data.get()) instanceof WalObject.Seal seal
                    && seal.channelId().equals(channelId)
                    && seal.chunkSeq() == k;
              } catch (CorruptObjectException e) {
                return false;
              }
            });
  }

  /**
   * Completes with {@code m} unless a chunk exists at or beyond {@code m +
   * max-chunk-writes-in-flight} while {@code m} is still missing (then {@code m} was written and
   * lost: sealing there would drop acknowledged records, so the channel is reported damaged and the
   * seal refused). If {@code m} has appeared meanwhile (the channel is alive), the search goes on
   * from it.
   */
  private CompletionStage<Long> refuseHole(String channelId, long m) {
    long firstImpossible = m + Math.max(1, maxChunkWritesInFlight);
    return objects
        .list(Channel.walPrefix(channelId), Channel.walKey(channelId, firstImpossible - 1), 1)
        .thenCompose(
            page -> {
              if (page.isEmpty()) {
                return CompletableFuture.completedFuture(m);
              }
              // The later chunk may have been written since chunk m was found missing, by a
              // channel that is still alive (an activation that stopped without sealing leaves
              // its streamlet on a live channel): then m has been written too. Only an m still
              // missing now that a chunk that far beyond it exists is a hole (found by the
              // engine simulation, docs/verification.md).
              String before = m == 0 ? null : Channel.walKey(channelId, m - 1);
              return objects
                  .list(Channel.walPrefix(channelId), before, 1)
                  .thenCompose(
                      first -> {
                        if (!first.isEmpty()
                            && first.get(0).key().equals(Channel.walKey(channelId, m))) {
                          return firstMissing(channelId, Channel.walKey(channelId, m), m + 1)
                              .thenCompose(next -> refuseHole(channelId, next));
                        }
                        return CompletableFuture.completedFuture(refuse(channelId, m, page));
                      });
            });
  }

  /** Reports chunk {@code m} of {@code channelId} lost ({@code page} shows a chunk beyond). */
  private long refuse(String channelId, long m, List<ObjectInfo> page) {
    String beyond = page.get(0).key().substring(Channel.walPrefix(channelId).length());
    String detail =
        "WAL chunk "
            + m
            + " of channel "
            + channelId
            + " is missing but chunk "
            + Long.parseLong(beyond)
            + " exists, more than "
            + maxChunkWritesInFlight
            + " (max-chunk-writes-in-flight) chunks later: the missing chunk was written"
            + " and lost, so the channel is not sealed over it";
    damage.report(DamageReport.Kind.CHANNEL, channelId, detail);
    log.error("Refusing to seal: {}. Run millrace verify.", detail);
    throw new S2Exception(
        ErrorCode.DATA_LOSS,
        "stream needs repair: " + detail + "; run millrace verify on the server");
  }

  private CompletionStage<Long> firstMissing(String channelId, String startAfter, long expected) {
    String prefix = Channel.walPrefix(channelId);
    return objects
        .list(prefix, startAfter, 1000)
        .thenCompose(
            page -> {
              long next = expected;
              for (ObjectInfo o : page) {
                long seq = Long.parseLong(o.key().substring(prefix.length()));
                if (seq != next) {
                  return CompletableFuture.completedFuture(next);
                }
                next++;
              }
              if (page.size() < 1000) {
                return CompletableFuture.completedFuture(next);
              }
              return firstMissing(channelId, page.get(page.size() - 1).key(), next);
            });
  }

  private CompletionStage<Long> writeSeal(String channelId, long m) {
    return objects
        .putIfAbsent(Channel.walKey(channelId, m), WalChunkCodec.encodeSeal(channelId, m))
        .handle(
            (ok, err) -> {
              if (err == null) {
                return CompletableFuture.completedFuture(m);
              }
              Throwable cause = Failures.unwrap(err);
              if (cause instanceof ObjectAlreadyExistsException) {
                return writeSeal(channelId, m + 1);
              }
              return CompletableFuture.<Long>failedFuture(cause);
            })
        .thenCompose(x -> x);
  }
}
