package io.millrace.engine.stream;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.sim.Simulator;
import io.millrace.engine.stream.StreamEntity.AppendReply;
import io.millrace.engine.stream.StreamEntity.AppendResult;
import io.millrace.engine.stream.StreamEntity.Failed;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.SimChannel;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamletRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One activation of a stream entity in the deterministic simulation. It is the {@link StreamEntity}
 * loading state and the {@link ActiveStream} behaviour, message for message, written as plain
 * callbacks on {@link Simulator} events instead of an actor: recovery with the real {@link
 * StreamRecovery}; sequencing with {@link StreamSequencer}; the reply queue {@link PendingAppends};
 * the streamlet decisions of {@link StreamletLifecycle} (opening and sealing do the same metadata
 * calls as its actor states); flushes with the real {@link SegmentFlusher}; memory in {@link
 * UnflushedRecords}. What is not simulated: reads go straight to the segments and memory this
 * entity holds (not through read/ and StreamReads), and sessions, retention and erase are left out.
 * Keep it in step with ActiveStream when that changes.
 */
final class SimStream {
  private static final Failed DRAINING =
      new Failed(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");

  /** A request or internal message of the entity. */
  sealed interface Req permits AppendReq, TailReq, ReadReq, ChannelStopped, Passivate {}

  record AppendReq(AppendInput input, Consumer<AppendReply> reply) implements Req {}

  /** Answered with a {@link StreamPosition} or a {@link Failed}. */
  record TailReq(Consumer<Object> reply) implements Req {}

  /** Answered with a {@link ReadResult} or a {@link Failed}. */
  record ReadReq(long start, Consumer<Object> reply) implements Req {}

  record ReadResult(List<SequencedRecord> records, long tail) {}

  record ChannelStopped(String channelId) implements Req {}

  record Passivate() implements Req {}

  private enum State {
    LOADING,
    ACTIVE,
    OPENING,
    SEALING,
    STOPPED
  }

  final String streamId;
  final int incarnation;
  private final SimNode node;
  private final Simulator sim;
  private final EngineSettings settings;
  private final ArrayDeque<Req> stash = new ArrayDeque<>();
  private State state = State.LOADING;

  private StreamSequencer sequencer;
  private final List<SegmentRecord> segments = new ArrayList<>();
  private UnflushedRecords memory;
  private SegmentFlusher flusher;
  private StreamletLifecycle streamlets;
  private PendingAppends pending;
  private SimChannel channel;
  private SimChannel assigning;
  private long lastActivity;
  private boolean draining;
  private boolean flushAttemptedWhileDraining;

  SimStream(SimNode node, String streamId, int incarnation) {
    this.node = node;
    this.sim = node.sim;
    this.settings = node.settings;
    this.streamId = streamId;
    this.incarnation = incarnation;
  }

  private String who() {
    return node.name + "/" + streamId + "#" + incarnation;
  }

  private long nowMillis() {
    return 1_700_000_000_000L + sim.now();
  }

  boolean isActive() {
    return state == State.ACTIVE || state == State.OPENING || state == State.SEALING;
  }

  StreamSequencer.State durable() {
    return sequencer == null ? null : sequencer.durable();
  }

  List<SequencedRecord> unflushed() {
    return memory == null ? List.of() : memory.view();
  }

  // ---------------------------------------------------------------- loading

  void activate() {
    sim.trace(who() + " activates");
    new StreamRecovery(
            node.objects,
            node.metadata,
            node.chunks,
            settings.maxChunkWritesInFlight(),
            WalHorizon.of(node.metadata),
            node.damage)
        .recover(streamId)
        .whenComplete(
            (r, err) ->
                sim.post(
                    node,
                    () -> {
                      if (err == null) {
                        onLoaded(r);
                      } else {
                        onLoadFailed(unwrap(err));
                      }
                    }));
  }

  private void onLoaded(StreamRecovery.Recovered r) {
    sim.trace(
        who()
            + " recovered tail "
            + r.state().nextSeqNum()
            + " flushed "
            + r.flushedNextSeqNum()
            + " max epoch "
            + r.maxEpoch());
    node.checks.recovered(streamId, r);
    node.checks.claimed(streamId, r.maxEpoch());
    sequencer = new StreamSequencer(r.state());
    segments.addAll(r.segments());
    memory = new UnflushedRecords(streamId);
    memory.add(r.unflushed(), sim.now());
    flusher = new SegmentFlusher(streamId, node.objects, node.metadata);
    streamlets =
        new StreamletLifecycle(null, null, r.maxEpoch(), settings.streamletRotationBytes());
    pending = new PendingAppends(new FailedSessions());
    lastActivity = sim.now();
    state = State.ACTIVE;
    scheduleTick();
    unstashAll();
  }

  private void onLoadFailed(Throwable error) {
    if (error instanceof S2Exception e && e.code() == ErrorCode.DATA_LOSS) {
      node.checks.violation(who() + " recovery reported data loss: " + e.getMessage());
    }
    if (error instanceof IllegalStateException) {
      node.checks.violation(who() + " recovery failed: " + error);
    }
    sim.trace(who() + " could not activate: " + error.getMessage());
    failStash(ErrorCode.UNAVAILABLE, "stream could not be activated; retry");
    stopNow();
  }

  private void scheduleTick() {
    long every = Math.max(20, settings.segmentFlushAge().toMillis() / 4);
    sim.schedule(
        every,
        node,
        () -> {
          if (state == State.STOPPED) {
            return;
          }
          if (state == State.ACTIVE) {
            onTick();
          }
          if (state != State.STOPPED) {
            scheduleTick();
          }
        });
  }

  // ---------------------------------------------------------------- dispatch

  /** A message arrives (a request, or an internal message the actor would receive). */
  void dispatch(Req req) {
    switch (state) {
      case STOPPED -> node.deliver(streamId, req);
      case LOADING, OPENING, SEALING -> stash.addLast(req);
      case ACTIVE -> {
        if (req instanceof AppendReq a) {
          append(a);
        } else if (req instanceof TailReq t) {
          lastActivity = sim.now();
          t.reply().accept(sequencer.durable().tail());
        } else if (req instanceof ReadReq r) {
          lastActivity = sim.now();
          r.reply().accept(read(r.start()));
        } else if (req instanceof ChannelStopped c) {
          onChannelStopped(c.channelId());
        } else {
          startDraining();
        }
      }
    }
  }

  private void unstashAll() {
    List<Req> all = new ArrayList<>(stash);
    stash.clear();
    for (Req r : all) {
      dispatch(r);
    }
  }

  private void failStash(ErrorCode code, String message) {
    List<Req> all = new ArrayList<>(stash);
    stash.clear();
    for (Req r : all) {
      refuse(r, code, message);
    }
  }

  private void refuse(Req r, ErrorCode code, String message) {
    if (r instanceof AppendReq a) {
      a.reply().accept(new Failed(code, message));
    } else if (r instanceof TailReq t) {
      t.reply().accept(new Failed(code, message));
    } else if (r instanceof ReadReq rr) {
      rr.reply().accept(new Failed(code, message));
    }
  }

  // ---------------------------------------------------------------- appends

  private void append(AppendReq m) {
    lastActivity = sim.now();
    if (draining) {
      m.reply().accept(DRAINING);
      return;
    }
    StreamletLifecycle.Streamlet s = streamlets.current();
    if (streamlets.channelDead()) {
      stash.addLast(m);
      if (pending.firstInFlight() != null) {
        onStorageFailure(
            new S2Exception(ErrorCode.STORAGE, "WAL channel " + s.channelId() + " died; retry"));
      } else {
        reseal("its channel " + s.channelId() + " stopped");
      }
      return;
    }
    if (s == null) {
      stash.addLast(m);
      open();
      return;
    }
    if (streamlets.rotateWanted()) {
      stash.addLast(m);
      if (pending.firstInFlight() == null) {
        rotate();
      }
      return;
    }
    long bytes = m.input().meteredSize();
    if (s.load().pendingBytes() + bytes > settings.maxPendingBytes()) {
      pending.reject(
          m.reply(), new Failed(ErrorCode.UNAVAILABLE, "too many appends pending; retry"));
      return;
    }
    StreamSequencer.Decision d =
        sequencer.sequence(m.input(), TimestampingMode.CLIENT_PREFER, false, nowMillis());
    if (d instanceof StreamSequencer.Accepted a) {
      long id = pending.accept(a, bytes, m.reply(), null);
      long epoch = s.epoch();
      sim.trace(
          who()
              + " sends batch "
              + id
              + " seq "
              + a.ack().start().seqNum()
              + ".."
              + (a.ack().end().seqNum() - 1)
              + " epoch "
              + epoch
              + " to "
              + s.channelId());
      channel.append(
          new Channel.Append(streamId, epoch, id, a.records(), bytes, null),
          res -> onChannelAnswer(res, epoch, a.records()));
    } else if (d instanceof StreamSequencer.Rejected rej) {
      pending.reject(m.reply(), new AppendResult(rej.outcome()));
    } else {
      S2Exception e = ((StreamSequencer.Invalid) d).error();
      pending.reject(m.reply(), new Failed(e.code(), e.getMessage()));
    }
  }

  private void onChannelAnswer(Channel.Result res, long epoch, List<SequencedRecord> records) {
    if (state != State.ACTIVE) {
      return; // the waiting states drop channel answers, as ActiveStream.whileWaiting does
    }
    if (!streamlets.isCurrent(res.channelId())) {
      return;
    }
    PendingAppends.Entry head = pending.firstInFlight();
    if (head == null || head.batchId > res.batchId()) {
      return;
    }
    if (res instanceof Channel.Failed f) {
      onStorageFailure(f.error());
      return;
    }
    Channel.Durable d = (Channel.Durable) res;
    if (head.batchId != d.batchId()) {
      node.checks.violation(
          who() + ": batch " + d.batchId() + " durable before batch " + head.batchId);
      return;
    }
    node.checks.durable(streamId, epoch, d.channelId(), d.chunkSeq(), records);
    onDurable(head, d.chunkSeq());
    if (state == State.STOPPED) {
      return;
    }
    if (draining) {
      continueDraining();
    } else {
      rotateIfWanted();
    }
  }

  private void onChannelStopped(String channelId) {
    if (!streamlets.isCurrent(channelId)) {
      return;
    }
    if (pending.firstInFlight() != null) {
      onStorageFailure(
          new S2Exception(ErrorCode.STORAGE, "WAL channel " + channelId + " stopped; retry"));
      return;
    }
    if (!draining) {
      reseal("its channel " + channelId + " stopped");
    }
  }

  private void onDurable(PendingAppends.Entry e, long chunkSeq) {
    sequencer.markDurable(e.stateAfter);
    streamlets.durable(chunkSeq, e.bytes);
    memory.add(e.records, sim.now());
    StreamPosition tail = sequencer.durable().tail();
    sim.trace(
        who()
            + " batch "
            + e.batchId
            + " durable in chunk "
            + chunkSeq
            + ", tail "
            + tail.seqNum());
    pending.durable(e, tail);
    if (memory.bytes() >= settings.segmentFlushBytes()) {
      maybeFlush();
    }
  }

  private void onStorageFailure(S2Exception error) {
    int failed = pending.failInFlight(new Failed(error.code(), error.getMessage()));
    sequencer.rollback();
    sim.trace(
        who()
            + " "
            + failed
            + " in-flight appends failed ("
            + error.getMessage()
            + "); back to "
            + sequencer.durable().nextSeqNum());
    reseal("a WAL write failed");
  }

  // ---------------------------------------------------------------- streamlets

  private void reseal(String why) {
    seal(why, sequencer.durable().nextSeqNum());
  }

  private void rotate() {
    streamlets.rotationStarted();
    if (streamlets.current() == null) {
      return;
    }
    reseal("it reached the rotation bytes and a segment flush moved its replay start");
  }

  private void rotateIfWanted() {
    if (streamlets.rotateWanted() && pending.firstInFlight() == null) {
      rotate();
    }
  }

  private void open() {
    state = State.OPENING;
    node.acquireChannel(
        ch -> {
          if (state != State.OPENING) {
            return;
          }
          assigning = ch;
          ch.register(this::onChannelAssigned, this::onAssignFailed);
        });
  }

  private void onAssignFailed(Throwable error) {
    if (state != State.OPENING) {
      return;
    }
    sim.trace(who() + " could not get a channel: " + error.getMessage());
    notOpened("no channel available; retry");
  }

  private void onChannelAssigned(Channel.Registered reg) {
    if (state != State.OPENING) {
      return;
    }
    long epoch = streamlets.nextEpoch();
    streamlets.assigned(reg);
    node.metadata
        .createStreamlet(
            new StreamletRecord(streamId, epoch, reg.channelId(), reg.firstChunkSeq(), null, null))
        .whenComplete(
            (won, err) ->
                sim.post(
                    node,
                    () -> {
                      if (state != State.OPENING) {
                        return;
                      }
                      if (err == null) {
                        next(streamlets.created(reg, epoch, won));
                      } else {
                        onCreateFailed(reg, epoch);
                      }
                    }));
  }

  private void onCreateFailed(Channel.Registered reg, long epoch) {
    streamlets.createFailed(epoch);
    node.metadata
        .listStreamlets(streamId)
        .whenComplete(
            (found, err) ->
                sim.post(
                    node,
                    () -> {
                      if (state != State.OPENING) {
                        return;
                      }
                      StreamletLifecycle.Creation c = streamlets.reread(reg, epoch, found);
                      if (c instanceof StreamletLifecycle.NotOpened) {
                        notOpened("could not open a streamlet; retry");
                      } else {
                        next(c);
                      }
                    }));
  }

  private void next(StreamletLifecycle.Creation c) {
    if (c instanceof StreamletLifecycle.Superseded s) {
      superseded(s.refused());
      return;
    }
    StreamletLifecycle.Streamlet s = ((StreamletLifecycle.Opened) c).streamlet();
    node.checks.opened(streamId, s.epoch());
    channel = assigning;
    assigning = null;
    String channelId = s.channelId();
    channel.watch(this, () -> deliverToSelf(new ChannelStopped(channelId)));
    sim.trace(
        who()
            + " opened epoch "
            + s.epoch()
            + " on "
            + channelId
            + " at chunk "
            + s.firstChunkSeq());
    state = State.ACTIVE;
    unstashAll();
  }

  private void deliverToSelf(Req req) {
    if (state != State.STOPPED) {
      dispatch(req);
    }
  }

  private void notOpened(String why) {
    List<Req> keep = new ArrayList<>();
    for (Req r : stash) {
      if (r instanceof AppendReq) {
        refuse(r, ErrorCode.UNAVAILABLE, why);
      } else {
        keep.add(r);
      }
    }
    stash.clear();
    stash.addAll(keep);
    state = State.ACTIVE;
    unstashAll();
  }

  private void seal(String why, long durableNext) {
    state = State.SEALING;
    StreamletLifecycle.SealPoint at = streamlets.sealPoint(durableNext);
    sim.trace(
        who()
            + " seals epoch "
            + at.epoch()
            + " at "
            + at.nextSeqNum()
            + " (last chunk "
            + at.lastChunk()
            + ") because "
            + why);
    node.metadata
        .sealStreamlet(streamId, at.epoch(), at.nextSeqNum(), at.lastChunk())
        .whenComplete(
            (ok, err) ->
                sim.post(
                    node,
                    () -> {
                      if (state != State.SEALING) {
                        return;
                      }
                      if (err != null) {
                        sim.trace(who() + " could not seal: " + unwrap(err).getMessage());
                        pending.heldMayBeDurable();
                        stopNow();
                      } else if (!ok) {
                        superseded(
                            "sealing epoch " + at.epoch() + " at seq num " + at.nextSeqNum());
                      } else {
                        releaseStreamlet();
                        sealed();
                      }
                    }));
  }

  private void releaseStreamlet() {
    if (channel != null) {
      channel.unwatch(this);
      channel = null;
    }
    streamlets.release(false);
  }

  private void sealed() {
    pending.releaseHeld();
    state = State.ACTIVE;
    if (draining) {
      continueDraining();
      if (state == State.ACTIVE) {
        unstashAll();
      }
      return;
    }
    unstashAll();
  }

  // ---------------------------------------------------------------- reads

  private Object read(long start) {
    StreamSequencer.State d = sequencer.durable();
    List<SequencedRecord> out = new ArrayList<>();
    for (SegmentRecord seg : segments) {
      if (seg.lastSeqNum() < start) {
        continue;
      }
      byte[] data = node.checks.peekObject(seg.objectKey());
      if (data == null) {
        node.checks.violation(who() + ": segment object " + seg.objectKey() + " is missing");
        return new Failed(ErrorCode.STORAGE, "segment missing");
      }
      for (SequencedRecord r : SegmentCodec.decode(data)) {
        if (r.seqNum() >= start) {
          out.add(r);
        }
      }
    }
    for (SequencedRecord r : memory.view()) {
      if (r.seqNum() >= start) {
        out.add(r);
      }
    }
    return new ReadResult(out, d.nextSeqNum());
  }

  // ---------------------------------------------------------------- flush

  private void onTick() {
    long now = sim.now();
    if (memory.olderThan(settings.segmentFlushAge().toMillis(), now)) {
      maybeFlush();
    }
    if (!draining
        && pending.isEmpty()
        && !flusher.inFlight()
        && now - lastActivity >= settings.passivationIdleTime().toMillis()) {
      sim.trace(who() + " is idle; passivating");
      startDraining();
    }
  }

  private void maybeFlush() {
    if (flusher.inFlight() || memory.isEmpty()) {
      return;
    }
    sim.trace(
        who() + " flushes " + memory.view().size() + " records at epoch " + streamlets.epoch());
    flusher
        .start(memory.snapshot(), sequencer.durable(), streamlets.epoch())
        .whenComplete((result, err) -> sim.post(node, () -> onFlushDone(result)));
  }

  private void onFlushDone(SegmentFlusher.Result result) {
    if (state == State.STOPPED || state == State.LOADING) {
      return;
    }
    boolean waiting = state != State.ACTIVE;
    applyFlushDone(result);
    if (waiting || state == State.STOPPED) {
      return;
    }
    if (draining) {
      continueDraining();
    } else {
      rotateIfWanted();
    }
  }

  private void applyFlushDone(SegmentFlusher.Result result) {
    flusher.finished(result);
    SegmentRecord seg = result.segment();
    if (result instanceof SegmentFlusher.Refused r) {
      superseded(r.write());
      return;
    }
    if (result instanceof SegmentFlusher.Failed f) {
      sim.trace(who() + " flush of " + seg.objectKey() + " failed: " + f.error().getMessage());
      return;
    }
    if (result instanceof SegmentFlusher.Adopted) {
      sim.trace(
          who()
              + " adopted another owner's segment "
              + seg.firstSeqNum()
              + ".."
              + seg.lastSeqNum());
      memory.flushed(seg, sim.now());
      segments.add(seg);
      node.checks.flushed(streamId, seg);
      maybeFlush();
      return;
    }
    sim.trace(who() + " flushed " + seg.firstSeqNum() + ".." + seg.lastSeqNum());
    memory.flushed(seg, sim.now());
    segments.add(seg);
    streamlets.flushed();
    node.checks.flushed(streamId, seg);
  }

  // ---------------------------------------------------------------- stopping

  private void startDraining() {
    if (!draining) {
      draining = true;
      sim.trace(who() + " drains");
    }
    continueDraining();
  }

  private void continueDraining() {
    if (!pending.isEmpty() || flusher.inFlight()) {
      return;
    }
    if (!memory.isEmpty() && !flushAttemptedWhileDraining) {
      flushAttemptedWhileDraining = true;
      maybeFlush();
      return;
    }
    if (streamlets.current() != null) {
      reseal("it is stopping");
      return;
    }
    failStash(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");
    sim.trace(who() + " stopped gracefully");
    stopNow();
  }

  private void superseded(String refused) {
    sim.trace(who() + " is superseded (" + refused + " was refused)");
    if (refused.startsWith("adding segment")) {
      node.checks.segmentRefused(streamId, streamlets.epoch(), refused);
    }
    pending.failUnsettled(
        new Failed(ErrorCode.OTHER, "the stream moved to a newer owner; the append may be durable"),
        true);
    releaseStreamlet();
    streamlets.releaseAssignedLoad();
    failStash(ErrorCode.UNAVAILABLE, "stream moved; retry");
    stopNow();
  }

  private void stopNow() {
    if (state == State.STOPPED) {
      return;
    }
    boolean loaded = sequencer != null;
    state = State.STOPPED;
    if (loaded) {
      streamlets.releaseAssignedLoad();
      releaseStreamlet();
      pending.stopped();
    }
    failStash(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");
    node.stopped(this);
  }
}
