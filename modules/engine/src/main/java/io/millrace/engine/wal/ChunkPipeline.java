package io.millrace.engine.wal;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.wal.Channel.Append;
import io.millrace.engine.wal.Channel.Durable;
import io.millrace.engine.wal.Channel.Failed;
import io.millrace.engine.wal.Channel.Result;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The chunks of one channel incarnation, without the actor: the open chunk that appends join, the
 * closing policy, the chunk writes in flight and their acknowledgement strictly in chunk order
 * (architecture section 2, steps 3 and 4).
 *
 * <p>Closing policy: the open chunk is closed at once when no chunk write is in flight (group
 * commit) or when it reaches {@code chunk-max-bytes}; otherwise, and whenever {@code
 * max-chunk-writes-in-flight} writes are already running, it waits for the flush timer (or for a
 * write to finish). A chunk holds one epoch per stream: when it closes, appends of an older epoch
 * of a stream that also has appends of a newer one fail (their owner is gone).
 *
 * <p>It does no I/O and keeps no time. What it decides goes to its {@link Outbox}: replies to
 * appends, closed chunks to write, the flush timer to arm. The channel actor feeds it appends,
 * flush-timer ticks and finished writes, and does the writing, the retries and, when the
 * incarnation gives up, the {@link WalSettlement}.
 */
final class ChunkPipeline {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Channel.class);

  /** Where the pipeline's decisions go. */
  interface Outbox {
    /** Answers one append. */
    void reply(Append append, Result result);

    /** Starts writing a closed chunk (create-only put of its bytes). */
    void write(ChunkWrite chunk);

    /** Arms the flush timer of the open chunk {@code openId} (see {@link #flushTimerFired}). */
    void armFlushTimer(long openId);
  }

  /** A closed chunk: its bytes and the appends it answers once written. */
  static final class ChunkWrite {
    final long seq;
    final byte[] data;
    final List<Append> appends;
    final long bytes;
    final long startNanos = System.nanoTime();
    int attempts;
    boolean written;

    ChunkWrite(long seq, byte[] data, List<Append> appends, long bytes) {
      this.seq = seq;
      this.data = data;
      this.appends = appends;
      this.bytes = bytes;
    }
  }

  private final String channelId;
  private final EngineSettings settings;
  private final ChannelLoad load;
  private final Outbox outbox;

  private long nextChunkSeq;
  private List<Append> open = new ArrayList<>();
  private long openBytes;
  private long openId;
  private boolean flushTimerArmed;
  private final TreeMap<Long, ChunkWrite> inFlight = new TreeMap<>();

  ChunkPipeline(String channelId, EngineSettings settings, ChannelLoad load, Outbox outbox) {
    this.channelId = channelId;
    this.settings = settings;
    this.load = load;
    this.outbox = outbox;
  }

  /** The seq of the next chunk to close: the first chunk an append made now can land in. */
  long nextChunkSeq() {
    return nextChunkSeq;
  }

  /** Adds an append to the open chunk and applies the closing policy. */
  void append(Append a) {
    open.add(a);
    openBytes += a.bytes();
    load.addPending(a.bytes());
    applyClosingPolicy();
  }

  /** The flush timer armed for open chunk {@code id} fired; a stale one does nothing. */
  void flushTimerFired(long id) {
    if (id == openId) {
      flushTimerArmed = false;
      if (!open.isEmpty() && inFlight.size() < settings.maxChunkWritesInFlight()) {
        closeOpenChunk();
      }
    }
  }

  /** The chunk write {@code seq} if it is still in flight (not yet acknowledged), else null. */
  ChunkWrite inFlight(long seq) {
    return inFlight.get(seq);
  }

  /**
   * Chunk {@code seq} is written: acknowledges it and every later written chunk once all lower ones
   * are, then applies the closing policy (a write slot may have freed).
   */
  void written(long seq) {
    markWritten(seq);
    ackWritten();
    applyClosingPolicy();
  }

  /** Chunk {@code seq} is written, without acknowledging anything yet. */
  void markWritten(long seq) {
    ChunkWrite w = inFlight.get(seq);
    if (w != null) {
      w.written = true;
    }
  }

  /** Acknowledges, in chunk order, every written chunk up to the first one that is not. */
  void ackWritten() {
    while (!inFlight.isEmpty() && inFlight.firstEntry().getValue().written) {
      ChunkWrite d = inFlight.pollFirstEntry().getValue();
      load.addPending(-d.bytes);
      for (Append a : d.appends) {
        outbox.reply(a, new Durable(channelId, a.batchId(), d.seq));
      }
    }
  }

  /** The lowest chunk seq not known to be written: the first write in flight, or the next chunk. */
  long firstUnwritten() {
    return inFlight.isEmpty() ? nextChunkSeq : inFlight.firstKey();
  }

  /** Whether {@code existing} (the object found at chunk {@code seq}'s key) is our own chunk. */
  boolean isOwnChunk(long seq, Optional<byte[]> existing) {
    ChunkWrite w = inFlight.get(seq);
    return w != null && existing.isPresent() && Arrays.equals(existing.get(), w.data);
  }

  /** Fails every append of the open chunk (never written) with {@code error}. */
  void failOpen(S2Exception error) {
    for (Append a : open) {
      outbox.reply(a, new Failed(channelId, a.batchId(), error));
    }
    load.addPending(-openBytes);
    open = new ArrayList<>();
    openBytes = 0;
  }

  /** Fails every unacknowledged append with {@code error}: in flight in chunk order, then open. */
  void failAll(S2Exception error) {
    for (ChunkWrite w : inFlight.values()) {
      for (Append a : w.appends) {
        outbox.reply(a, new Failed(channelId, a.batchId(), error));
      }
      load.addPending(-w.bytes);
    }
    inFlight.clear();
    failOpen(error);
  }

  private void applyClosingPolicy() {
    if (open.isEmpty()) {
      return;
    }
    if (inFlight.size() >= settings.maxChunkWritesInFlight()) {
      armFlushTimer();
      return;
    }
    if (inFlight.isEmpty() || openBytes >= settings.chunkMaxBytes()) {
      closeOpenChunk();
    } else {
      armFlushTimer();
    }
  }

  private void armFlushTimer() {
    if (!flushTimerArmed) {
      flushTimerArmed = true;
      outbox.armFlushTimer(openId);
    }
  }

  private void closeOpenChunk() {
    long seq = nextChunkSeq++;
    List<Append> appends = open;
    long bytes = openBytes;
    open = new ArrayList<>();
    openBytes = 0;
    openId++;
    flushTimerArmed = false;
    Map<String, Long> epochs = new LinkedHashMap<>();
    for (Append a : appends) {
      epochs.merge(a.streamId(), a.epoch(), Math::max);
    }
    List<Append> kept = new ArrayList<>(appends.size());
    for (Append a : appends) {
      if (a.epoch() < epochs.get(a.streamId())) {
        failSuperseded(seq, a, epochs.get(a.streamId()));
        bytes -= a.bytes();
      } else {
        kept.add(a);
      }
    }
    Map<String, List<SequencedRecord>> byStream = new LinkedHashMap<>();
    for (Append a : kept) {
      byStream.computeIfAbsent(a.streamId(), k -> new ArrayList<>()).addAll(a.records());
    }
    List<StreamSection> sections = new ArrayList<>(byStream.size());
    byStream.forEach((sid, recs) -> sections.add(new StreamSection(sid, epochs.get(sid), recs)));
    byte[] data = WalChunkCodec.encodeChunk(channelId, seq, sections);
    ChunkWrite w = new ChunkWrite(seq, data, kept, bytes);
    inFlight.put(seq, w);
    outbox.write(w);
  }

  /**
   * An older activation's append is still here when a newer one of the same stream appends (the old
   * owner died, the new one took over): it fails, since its owner is gone and recovery would not
   * trust it anyway.
   */
  private void failSuperseded(long seq, Append a, long newerEpoch) {
    LOG.warn(
        "Channel {} chunk {}: stream {} epoch {} was superseded by epoch {}; its batch {} fails.",
        channelId,
        seq,
        a.streamId(),
        a.epoch(),
        newerEpoch,
        a.batchId());
    outbox.reply(
        a,
        new Failed(
            channelId,
            a.batchId(),
            new S2Exception(ErrorCode.STORAGE, "stream moved to a newer activation; retry")));
    load.addPending(-a.bytes());
  }
}
