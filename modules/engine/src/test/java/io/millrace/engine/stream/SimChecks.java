package io.millrace.engine.stream;

import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.sim.Simulator;
import io.millrace.engine.wal.Channel;
import io.millrace.format.SegmentCodec;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.SegmentRecord;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The invariants of the simulation, checked as the run goes (each violation ends the run at once):
 *
 * <ul>
 *   <li><b>durable before ack</b>: when a channel reports a batch durable, its chunk object is in
 *       the store with the batch's records in the stream's section at the writer's epoch;
 *   <li><b>no acked record lost</b>: every recovery (after a crash, a failure or a handoff) brings
 *       back every acknowledged record at its seq num with its content, and its tail is not below
 *       any tail a client saw;
 *   <li><b>no duplicate or gap</b>: no seq num is acknowledged twice; an entity's unflushed records
 *       are dense and end at its durable tail;
 *   <li><b>acks in order, tail monotone</b>: per stream, acknowledgements arrive in seq num order
 *       and no client sees the tail move back;
 *   <li>recovery never reports data loss and the engine never reports an internal inconsistency (a
 *       batch durable out of order, a gap in the WAL).
 * </ul>
 *
 * Fencing and {@code match_seq_num} are checked on the whole history by the linearizability
 * checker.
 */
final class SimChecks {

  /** An invariant broke: the message says which and where. */
  static final class Violation extends RuntimeException {
    Violation(String message) {
      super(message);
    }
  }

  private static final class StreamFacts {
    final TreeMap<Long, Long> ackedHashes = new TreeMap<>();
    long ackedEnd;
    long lastAckEnd;
    long observedTail;
    long newestEpoch;
  }

  private final Simulator sim;
  private final InMemoryObjectStore store;
  private final Map<String, StreamFacts> streams = new HashMap<>();
  private long checksRun;
  private int overlaps;

  /**
   * A taken-over owner is still running ({@code true}) or was killed ({@code false}). While one
   * runs, it may still acknowledge appends it had in flight, so the new owner's view may lag behind
   * the acknowledgements: the checks that compare an entity with them wait until it is gone (the
   * history and the final audit still cover everything).
   */
  void overlap(boolean started) {
    overlaps += started ? 1 : -1;
  }

  boolean overlapping() {
    return overlaps > 0;
  }

  SimChecks(Simulator sim, InMemoryObjectStore store) {
    this.sim = sim;
    this.store = store;
  }

  long checksRun() {
    return checksRun;
  }

  private StreamFacts facts(String streamId) {
    return streams.computeIfAbsent(streamId, k -> new StreamFacts());
  }

  void violation(String message) {
    sim.trace("VIOLATION " + message);
    throw new Violation(message);
  }

  byte[] peekObject(String key) {
    return store.peek(key).orElse(null);
  }

  // ---------------------------------------------------------------- engine hooks

  /** A channel reported {@code records} of {@code streamId} durable in chunk {@code chunkSeq}. */
  void durable(
      String streamId, long epoch, String channelId, long chunkSeq, List<SequencedRecord> records) {
    checksRun++;
    Optional<byte[]> chunk = store.peek(Channel.walKey(channelId, chunkSeq));
    if (chunk.isEmpty()) {
      violation(
          "stream "
              + streamId
              + ": acknowledged as durable in chunk "
              + chunkSeq
              + " of "
              + channelId
              + ", which is not in the object store");
    }
    Optional<StreamSection> section = WalChunkCodec.decodeSection(chunk.get(), streamId);
    if (section.isEmpty()
        || section.get().epoch() != epoch
        || !section.get().records().containsAll(records)) {
      violation(
          "stream "
              + streamId
              + ": chunk "
              + chunkSeq
              + " of "
              + channelId
              + " does not hold the batch reported durable in it (epoch "
              + epoch
              + ", seq "
              + records.get(0).seqNum()
              + ")");
    }
  }

  /** A recovery finished: it must bring back everything acknowledged. */
  void recovered(String streamId, StreamRecovery.Recovered r) {
    checksRun++;
    if (overlaps > 0) {
      return;
    }
    StreamFacts f = facts(streamId);
    long next = r.state().nextSeqNum();
    if (next < f.ackedEnd) {
      violation(
          "stream "
              + streamId
              + ": recovered tail "
              + next
              + " is below the acknowledged end "
              + f.ackedEnd
              + " (acknowledged records lost)");
    }
    if (next < f.observedTail) {
      violation(
          "stream "
              + streamId
              + ": recovered tail "
              + next
              + " is below the tail "
              + f.observedTail
              + " a client saw");
    }
    Map<Long, SequencedRecord> found = new HashMap<>();
    for (SegmentRecord seg : r.segments()) {
      byte[] data = store.peek(seg.objectKey()).orElse(null);
      if (data == null) {
        violation(
            "stream " + streamId + ": segment " + seg.objectKey() + " has a row but no object");
      }
      for (SequencedRecord rec : SegmentCodec.decode(data)) {
        found.put(rec.seqNum(), rec);
      }
    }
    long expect = r.flushedNextSeqNum();
    for (SequencedRecord rec : r.unflushed()) {
      if (rec.seqNum() != expect) {
        violation(
            "stream "
                + streamId
                + ": recovered records are not dense: "
                + rec.seqNum()
                + " after "
                + (expect - 1));
      }
      expect++;
      found.put(rec.seqNum(), rec);
    }
    if (!r.unflushed().isEmpty() && expect != next) {
      violation("stream " + streamId + ": recovered records end at " + expect + ", tail " + next);
    }
    for (Map.Entry<Long, Long> e : f.ackedHashes.entrySet()) {
      long seq = e.getKey();
      if (seq < r.state().trimPoint()) {
        continue;
      }
      SequencedRecord rec = found.get(seq);
      if (rec == null) {
        violation(
            "stream "
                + streamId
                + ": acknowledged seq num "
                + seq
                + " is not in the recovered "
                + "segments or WAL records (lost)");
      } else if (SimWorld.hash(rec) != e.getValue()) {
        violation(
            "stream "
                + streamId
                + ": recovered seq num "
                + seq
                + " holds another record than "
                + "the one acknowledged");
      }
    }
  }

  /** An owner of {@code streamId} opened its streamlet at {@code epoch}. */
  void opened(String streamId, long epoch) {
    StreamFacts f = facts(streamId);
    f.newestEpoch = Math.max(f.newestEpoch, epoch);
  }

  /**
   * An activation of {@code streamId} claimed {@code epoch} at the end of its recovery (ADR 0004,
   * "Claimed epochs"): every owner below it is replaced from then on, even if this activation stops
   * before it opens a streamlet (a hand-off right after a takeover, engine simulation seed 7577).
   */
  void claimed(String streamId, long epoch) {
    StreamFacts f = facts(streamId);
    f.newestEpoch = Math.max(f.newestEpoch, epoch);
  }

  /**
   * The owner at {@code epoch} had its segment row refused. Only a replaced owner may be: the
   * newest owner adopts a replaced owner's row of the same records (ADR 0004), so a refusal that
   * stops it is a violation.
   */
  void segmentRefused(String streamId, long epoch, String refused) {
    checksRun++;
    long newest = facts(streamId).newestEpoch;
    if (epoch >= newest) {
      violation(
          "stream "
              + streamId
              + ": the newest owner (epoch "
              + epoch
              + ") stopped as superseded: "
              + refused
              + " was refused");
    }
  }

  void flushed(String streamId, SegmentRecord seg) {
    checksRun++;
    if (store.peek(seg.objectKey()).isEmpty()) {
      violation("stream " + streamId + ": flushed segment " + seg.objectKey() + " has no object");
    }
  }

  // ---------------------------------------------------------------- client hooks

  /** A client got an ack of seq nums [start, end) carrying {@code hashes}, with this tail. */
  void acked(String streamId, long start, long end, long[] hashes, long tail, boolean current) {
    checksRun++;
    StreamFacts f = facts(streamId);
    if (current && start < f.lastAckEnd) {
      violation(
          "stream "
              + streamId
              + ": ack of "
              + start
              + ".."
              + (end - 1)
              + " arrived after an ack"
              + " ending at "
              + f.lastAckEnd
              + " (acks out of order or overlapping)");
    }
    for (long seq = start; seq < end; seq++) {
      Long before = f.ackedHashes.put(seq, hashes[(int) (seq - start)]);
      if (before != null) {
        violation("stream " + streamId + ": seq num " + seq + " acknowledged twice");
      }
    }
    // A taken-over owner may still acknowledge what was durable before the takeover: late, with
    // its older tail. Order and tail are checked for the current owner's answers only.
    if (current) {
      f.lastAckEnd = end;
      observedTail(streamId, tail);
    }
    f.ackedEnd = Math.max(f.ackedEnd, end);
  }

  /** A client saw this tail (an ack, a check-tail, a read). */
  void observedTail(String streamId, long tail) {
    StreamFacts f = facts(streamId);
    if (tail < f.observedTail) {
      violation(
          "stream "
              + streamId
              + ": a client saw tail "
              + tail
              + " after tail "
              + f.observedTail
              + " (tail moved back)");
    }
    f.observedTail = tail;
  }

  /** A read returned these records: acknowledged seq nums must hold what was acknowledged. */
  void read(String streamId, List<SequencedRecord> records, long tail, boolean current) {
    checksRun++;
    StreamFacts f = facts(streamId);
    long prev = -1;
    for (SequencedRecord rec : records) {
      if (prev >= 0 && rec.seqNum() != prev + 1) {
        violation("stream " + streamId + ": a read skipped from " + prev + " to " + rec.seqNum());
      }
      prev = rec.seqNum();
      Long acked = f.ackedHashes.get(rec.seqNum());
      if (acked != null && acked != SimWorld.hash(rec)) {
        violation(
            "stream " + streamId + ": read seq num " + rec.seqNum() + " is not the acked one");
      }
    }
    if (prev >= tail) {
      violation("stream " + streamId + ": a read returned seq num " + prev + " at tail " + tail);
    }
    if (current) {
      observedTail(streamId, tail);
    }
  }

  // ---------------------------------------------------------------- after every step

  /** The state of one live entity: dense memory ending at its durable tail, not behind any ack. */
  void entity(SimStream s) {
    StreamSequencer.State d = s.durable();
    if (d == null || overlaps > 0) {
      return;
    }
    StreamFacts f = facts(s.streamId);
    if (d.nextSeqNum() < f.ackedEnd) {
      violation(
          "stream "
              + s.streamId
              + ": live entity's durable tail "
              + d.nextSeqNum()
              + " is below the acknowledged end "
              + f.ackedEnd);
    }
    List<SequencedRecord> mem = s.unflushed();
    if (!mem.isEmpty()) {
      long first = mem.get(0).seqNum();
      long last = mem.get(mem.size() - 1).seqNum();
      if (last - first + 1 != mem.size() || last + 1 != d.nextSeqNum()) {
        violation(
            "stream "
                + s.streamId
                + ": unflushed records "
                + first
                + ".."
                + last
                + " ("
                + mem.size()
                + ") do not end densely at the durable tail "
                + d.nextSeqNum());
      }
    }
  }
}
