package io.millrace.engine.stream;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StorageClass;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.lifecycle.RetentionHorizon;
import io.millrace.engine.stream.StreamEntity.Append;
import io.millrace.engine.stream.StreamEntity.ChannelAnswer;
import io.millrace.engine.stream.StreamEntity.ChannelStopped;
import io.millrace.engine.stream.StreamEntity.CheckTail;
import io.millrace.engine.stream.StreamEntity.Command;
import io.millrace.engine.stream.StreamEntity.Erase;
import io.millrace.engine.stream.StreamEntity.Failed;
import io.millrace.engine.stream.StreamEntity.FlushDone;
import io.millrace.engine.stream.StreamEntity.Passivate;
import io.millrace.engine.stream.StreamEntity.Read;
import io.millrace.engine.stream.StreamEntity.SessionAppend;
import io.millrace.engine.stream.StreamEntity.Shutdown;
import io.millrace.engine.stream.StreamEntity.StreamParams;
import io.millrace.engine.stream.StreamEntity.Tick;
import io.millrace.engine.stream.StreamEntity.WaitExpired;
import io.millrace.engine.wal.Channel;
import io.millrace.metadata.SegmentRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A loaded stream entity (architecture sections 2, 6, 7): it sequences appends with a {@link
 * StreamSequencer} against the assigned tail, hands them to its streamlet's channel (many batches
 * in flight) and replies in log order through {@link PendingAppends}. On a storage failure it fails
 * the affected batches and every later one, rolls back to the durable state, seals its streamlet at
 * the durable tail, and opens a new streamlet (epoch + 1) for the next append ({@link
 * StreamletLifecycle}). It keeps durable unflushed records in memory ({@link UnflushedRecords}),
 * flushes them into segments ({@link SegmentFlusher}), answers reads ({@link StreamReads}).
 * Stopping, it drains: in-flight appends, one last flush, a seal.
 */
final class ActiveStream implements StreamletLifecycle.Owner {
  private static final Failed DRAINING =
      new Failed(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");

  private final StreamEntity.Instance entity;
  private final String streamId;
  private final EngineSettings settings;
  private final EngineMetrics metrics;
  private final ActorRef<Channel.Result> channelAdapter;
  private final StreamSequencer sequencer;
  private final List<SegmentRecord> segments = new ArrayList<>();
  private final UnflushedRecords memory;
  private final SegmentFlusher flusher;
  private final StreamletLifecycle streamlets;
  private final FailedSessions failedSessions = new FailedSessions();
  private final PendingAppends pending = new PendingAppends(failedSessions);
  private final StreamReads reads;
  private final List<ActorRef<Done>> drainReplies = new ArrayList<>();
  private StreamParams params;
  private long lastActivity;
  private boolean draining;
  private boolean flushAttemptedWhileDraining;
  private long drainStartedMillis;

  /** Whether the stream had streamlets before this activation (it moved or was reactivated). */
  private final boolean takenOver;

  private final StreamRecovery.Steps recoverySteps;

  private boolean firstAppendLogged;
  private ActorRef<Done> eraseReply;

  ActiveStream(StreamEntity.Instance entity, StreamRecovery.Recovered r) {
    this.entity = entity;
    this.streamId = entity.streamId;
    this.settings = entity.deps.settings();
    this.metrics = entity.deps.metrics();
    this.channelAdapter = entity.ctx.messageAdapter(Channel.Result.class, ChannelAnswer::new);
    this.sequencer = new StreamSequencer(r.state());
    this.segments.addAll(r.segments());
    this.memory = new UnflushedRecords(streamId);
    this.memory.add(r.unflushed(), entity.now());
    this.flusher = new SegmentFlusher(streamId, entity.deps.objects(), entity.deps.metadata());
    this.streamlets =
        new StreamletLifecycle(entity, this, r.maxEpoch(), settings.streamletRotationBytes());
    this.reads =
        new StreamReads(
            (id, after) -> entity.timers.startSingleTimer("wait-" + id, new WaitExpired(id), after),
            id -> entity.timers.cancel("wait-" + id));
    this.lastActivity = entity.now();
    // The recovery claimed epoch (highest seen + 1): above 1, an owner came before.
    this.takenOver = r.maxEpoch() > 1;
    this.recoverySteps = r.steps();
  }

  Behavior<Command> active() {
    return Behaviors.receive(Command.class)
        .onMessage(Append.class, m -> append(m, m, null))
        .onMessage(SessionAppend.class, this::onSessionAppend)
        .onMessage(Read.class, this::onRead)
        .onMessage(CheckTail.class, this::onCheckTail)
        .onMessage(ChannelAnswer.class, this::onChannelAnswer)
        .onMessage(ChannelStopped.class, this::onChannelStopped)
        .onMessage(FlushDone.class, this::onFlushDone)
        .onMessage(Tick.class, this::onTick)
        .onMessage(WaitExpired.class, this::onWaitExpired)
        .onMessage(StreamEntity.Subscribe.class, this::onSubscribe)
        .onMessage(
            StreamEntity.Unsubscribe.class, m -> onUnsubscribe(m.subscriber(), m.subscription()))
        .onMessage(StreamEntity.FeedAck.class, this::onFeedAck)
        .onMessage(
            StreamEntity.SubscriberGone.class,
            m -> onUnsubscribe(m.subscriber(), StreamReads.ANY_SUBSCRIPTION))
        .onMessage(Passivate.class, m -> startDraining(null))
        .onMessage(Shutdown.class, m -> startDraining(m.replyTo()))
        .onMessage(Erase.class, this::onErase)
        .onSignal(PostStop.class, s -> entity.onPostStop())
        .build();
  }

  // ---------------------------------------------------------------- appends

  private Behavior<Command> onSessionAppend(SessionAppend m) {
    if (failedSessions.hasFailed(m.sessionId())) {
      pending.reject(
          m.replyTo()::tell,
          new Failed(
              ErrorCode.OTHER,
              "an earlier batch of this append session failed; batch not appended"));
      return Behaviors.same();
    }
    if (!failedSessions.admit(m.sessionId(), m.afterUnanswered())) {
      failedSessions.markFailed(m.sessionId());
      metrics.appendRejections.increment();
      pending.reject(
          m.replyTo()::tell,
          new Failed(
              ErrorCode.UNAVAILABLE,
              "an earlier batch of this append session went to another owner of the stream (it"
                  + " moved between nodes) with its outcome unknown here; batch not appended,"
                  + " open a new session"));
      return Behaviors.same();
    }
    return append(new Append(m.params(), m.input(), m.replyTo()), m, m.sessionId());
  }

  /** An append; {@code original} is what gets stashed, {@code sessionId} null outside sessions. */
  private Behavior<Command> append(Append m, Command original, String sessionId) {
    lastActivity = entity.now();
    params = m.params();
    if (draining) {
      failedSessions.markFailed(sessionId);
      m.replyTo().tell(DRAINING);
      return Behaviors.same();
    }
    StreamletLifecycle.Streamlet s = streamlets.current();
    if (streamlets.channelDead()) {
      entity.waiting.stash(original);
      if (pending.firstInFlight() != null) {
        return onStorageFailure(
            new S2Exception(ErrorCode.STORAGE, "WAL channel " + s.channelId() + " died; retry"));
      }
      return reseal("its channel " + s.channelId() + " stopped");
    }
    if (s == null) {
      entity.waiting.stash(original);
      return streamlets.open(params == null ? StorageClass.EXPRESS : params.storageClass());
    }
    if (streamlets.rotateWanted()) {
      // The streamlet reached the rotation bytes and a flush moved the flushed position: wait for
      // in-flight appends, then rotate.
      entity.waiting.stashOrReject(original);
      return pending.firstInFlight() == null ? rotate() : Behaviors.same();
    }
    long bytes = m.input().meteredSize();
    if (s.load().pendingBytes() + bytes > settings.maxPendingBytes()) {
      reject(m, sessionId, new Failed(ErrorCode.UNAVAILABLE, "too many appends pending; retry"));
      return Behaviors.same();
    }
    StreamSequencer.Decision d =
        sequencer.sequence(m.input(), m.params().mode(), m.params().uncapped(), entity.now());
    if (d instanceof StreamSequencer.Accepted a) {
      long id = pending.accept(a, bytes, m.replyTo()::tell, sessionId);
      s.channel()
          .tell(new Channel.Append(streamId, s.epoch(), id, a.records(), bytes, channelAdapter));
    } else if (d instanceof StreamSequencer.Rejected rej) {
      metrics.appendRejections.increment();
      reject(m, sessionId, new StreamEntity.AppendResult(rej.outcome()));
    } else {
      S2Exception e = ((StreamSequencer.Invalid) d).error();
      metrics.appendRejections.increment();
      reject(m, sessionId, new Failed(e.code(), e.getMessage()));
    }
    return Behaviors.same();
  }

  private void reject(Append m, String sessionId, StreamEntity.AppendReply reply) {
    failedSessions.markFailed(sessionId);
    pending.reject(m.replyTo()::tell, reply);
  }

  private Behavior<Command> onChannelAnswer(ChannelAnswer m) {
    Channel.Result res = m.result();
    if (!streamlets.isCurrent(res.channelId())) {
      return Behaviors.same();
    }
    PendingAppends.Entry head = pending.firstInFlight();
    if (head == null || head.batchId > res.batchId()) {
      return Behaviors.same(); // stale answer for a batch already failed
    }
    if (res instanceof Channel.Failed f) {
      return onStorageFailure(f.error());
    }
    Channel.Durable d = (Channel.Durable) res;
    if (head.batchId != d.batchId()) {
      throw new IllegalStateException(
          String.format(
              "stream %s epoch %d: batch %d durable before batch %d",
              streamId, streamlets.epoch(), d.batchId(), head.batchId));
    }
    onDurable(head, d.chunkSeq());
    if (draining) {
      return continueDraining();
    }
    return rotateIfWanted();
  }

  /** The channel stopped; if it left batches unanswered, they failed. */
  private Behavior<Command> onChannelStopped(ChannelStopped m) {
    if (!streamlets.isCurrent(m.channelId())) {
      return Behaviors.same();
    }
    if (pending.firstInFlight() != null) {
      return onStorageFailure(
          new S2Exception(ErrorCode.STORAGE, "WAL channel " + m.channelId() + " stopped; retry"));
    }
    return draining ? Behaviors.same() : reseal("its channel " + m.channelId() + " stopped");
  }

  private void onDurable(PendingAppends.Entry e, long chunkSeq) {
    sequencer.markDurable(e.stateAfter);
    streamlets.durable(chunkSeq, e.bytes);
    memory.add(e.records, entity.now());
    metrics.appends.increment();
    metrics.appendedRecords.add(e.records.size());
    metrics.appendedBytes.add(e.bytes);
    StreamPosition tail = sequencer.durable().tail();
    if (!firstAppendLogged) {
      firstAppendLogged = true;
      logFirstAppend(tail);
    }
    pending.durable(e, tail);
    for (ActorRef<StreamEntity.FeedEvent> behind : reads.publish(e.records, tail)) {
      entity
          .ctx
          .getLog()
          .debug("Stream {}: tail feed {} fell a push window behind; ended it.", streamId, behind);
      entity.ctx.unwatch(behind);
    }
    if (memory.bytes() >= settings.segmentFlushBytes()) {
      maybeFlush();
    }
  }

  /**
   * The new owner's half of the hand-off timing (docs/adr/0012): when the first append of this
   * activation became durable, relative to the activation; the old owner logs when it stopped. At
   * INFO for a stream that had an owner before (a move, a failover, a reactivation).
   */
  private void logFirstAppend(StreamPosition tail) {
    long now = entity.now();
    String msg =
        "Stream {} acknowledged the first append of its activation (tail {}): {} ms after the"
            + " activation began (recovery {} ms), at {} ms since the epoch. Recovery: {}.";
    Object[] args = {
      streamId,
      tail.seqNum(),
      now - entity.activationStartedMillis,
      entity.loadedMillis - entity.activationStartedMillis,
      now,
      recoverySteps
    };
    if (takenOver) {
      entity.log().info(msg, args);
    } else {
      entity.log().debug(msg, args);
    }
  }

  /** A batch in flight failed: fail it and every later one, roll back, reseal. */
  private Behavior<Command> onStorageFailure(S2Exception error) {
    int failed = pending.failInFlight(new Failed(error.code(), error.getMessage()));
    metrics.appendFailures.add(failed);
    sequencer.rollback();
    entity
        .log()
        .warn(
            "Stream {} epoch {}: {} in-flight appends failed ({}); back to durable tail {}.",
            streamId,
            streamlets.epoch(),
            failed,
            error.getMessage(),
            sequencer.durable().nextSeqNum());
    return reseal("a WAL write failed");
  }

  // ---------------------------------------------------------------- streamlets

  /** Seals the current streamlet at the durable tail; appends wait until it is done. */
  private Behavior<Command> reseal(String why) {
    return streamlets.seal(why, sequencer.durable().nextSeqNum(), draining);
  }

  /**
   * Seals the current streamlet at the durable tail so that the next append opens a new one (epoch
   * + 1) starting at its channel's next chunk: once a later flush records the new epoch in
   * stream_state, recovery replays only chunks written since, instead of the streamlet's whole
   * history (architecture section 5). Done only once the streamlet holds {@code
   * segments.streamlet-rotation-bytes}, so the pipeline drains once per that many bytes, not at
   * every flush (docs/adr/0013).
   */
  private Behavior<Command> rotate() {
    streamlets.rotationStarted();
    if (streamlets.current() == null) {
      return Behaviors.same();
    }
    metrics.streamletRotations.increment();
    return reseal("it reached the rotation bytes and a segment flush moved its replay start");
  }

  private Behavior<Command> rotateIfWanted() {
    return streamlets.rotateWanted() && pending.firstInFlight() == null
        ? rotate()
        : Behaviors.same();
  }

  @Override
  public Behavior<Command> opened() {
    return entity.waiting.unstashAll(active());
  }

  @Override
  public Behavior<Command> notOpened(String why) {
    entity.waiting.failAppends(ErrorCode.UNAVAILABLE, why, failedSessions);
    return entity.waiting.unstashAll(active());
  }

  @Override
  public Behavior<Command> sealed() {
    pending.releaseHeld();
    if (draining) {
      Behavior<Command> after = continueDraining();
      return after == Behaviors.<Command>same() ? active() : after;
    }
    return entity.waiting.unstashAll(active());
  }

  @Override
  public Behavior<Command> sealFailed() {
    pending.heldMayBeDurable();
    return entity.passivateAndStop();
  }

  @Override
  public BehaviorBuilder<Command> whileWaiting(BehaviorBuilder<Command> b) {
    return b.onMessage(FlushDone.class, this::applyFlushDone)
        .onMessage(Tick.class, m -> Behaviors.same())
        .onMessage(WaitExpired.class, this::onWaitExpired)
        .onMessage(ChannelAnswer.class, m -> Behaviors.same())
        .onSignal(PostStop.class, sig -> entity.onPostStop())
        .onAnyMessage(
            m -> {
              entity.waiting.stashOrReject(m);
              return Behaviors.same();
            });
  }

  // ---------------------------------------------------------------- reads

  private Behavior<Command> onRead(Read m) {
    lastActivity = entity.now();
    metrics.reads.increment();
    long cutoff = RetentionHorizon.cutoff(m.retentionAgeSecs(), entity.now());
    StreamSequencer.State durable = sequencer.durable();
    // Segments wholly below the trim point or expired are never read again; the lifecycle sweep
    // deletes them (docs/adr/0006).
    long firstReadable =
        Math.max(
            durable.trimPoint(),
            RetentionHorizon.firstRetained(cutoff, segments, List.of(), Long.MAX_VALUE));
    segments.removeIf(s -> s.lastSeqNum() < firstReadable);
    reads.read(m.request(), m.replyTo()::tell, durable, draining, segments, memory.view(), cutoff);
    return Behaviors.same();
  }

  private Behavior<Command> onWaitExpired(WaitExpired m) {
    reads.expired(m.waiterId());
    return Behaviors.same();
  }

  /**
   * A node's tail feed subscribes: pushed every durable batch from now on (none while draining).
   */
  private Behavior<Command> onSubscribe(StreamEntity.Subscribe m) {
    lastActivity = entity.now();
    if (draining) {
      m.subscriber().tell(new StreamEntity.FeedEnded(m.streamId(), m.subscription()));
    } else if (reads.subscribe(m, entity.ctx.getSelf(), sequencer.durable().tail())) {
      entity.ctx.watchWith(m.subscriber(), new StreamEntity.SubscriberGone(m.subscriber()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onFeedAck(StreamEntity.FeedAck m) {
    reads.acknowledged(m.subscriber(), m.subscription(), m.bytes());
    return Behaviors.same();
  }

  private Behavior<Command> onUnsubscribe(
      ActorRef<StreamEntity.FeedEvent> subscriber, long subscription) {
    if (reads.unsubscribe(subscriber, subscription)) {
      entity.ctx.unwatch(subscriber);
    }
    lastActivity = entity.now();
    return Behaviors.same();
  }

  private Behavior<Command> onCheckTail(CheckTail m) {
    lastActivity = entity.now();
    m.replyTo().tell(new StreamEntity.TailResult(sequencer.durable().tail()));
    return Behaviors.same();
  }

  // ---------------------------------------------------------------- segment flush

  private Behavior<Command> onTick(Tick m) {
    long now = entity.now();
    if (memory.olderThan(settings.segmentFlushAge().toMillis(), now)) {
      maybeFlush();
    }
    if (!draining
        && !entity.passivationRequested()
        && pending.isEmpty()
        && reads.isEmpty()
        && !flusher.inFlight()
        && now - lastActivity >= settings.passivationIdleTime().toMillis()) {
      entity.log().debug("Stream {} is idle; passivating.", streamId);
      entity.requestPassivation();
    }
    return Behaviors.same();
  }

  private void maybeFlush() {
    if (flusher.inFlight() || memory.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    entity.ctx.pipeToSelf(
        flusher
            .start(memory.snapshot(), sequencer.durable(), streamlets.epoch())
            .whenComplete((r, e) -> metrics.recordSegmentFlush(System.nanoTime() - started)),
        (result, err) -> new FlushDone(result));
  }

  private Behavior<Command> onFlushDone(FlushDone m) {
    Behavior<Command> next = applyFlushDone(m);
    if (eraseReply != null) {
      return entity.erasing(eraseReply);
    }
    if (next != Behaviors.<Command>same()) {
      return next;
    }
    if (draining) {
      return continueDraining();
    }
    return rotateIfWanted();
  }

  private Behavior<Command> applyFlushDone(FlushDone m) {
    SegmentFlusher.Result result = m.result();
    flusher.finished(result);
    SegmentRecord seg = result.segment();
    if (result instanceof SegmentFlusher.Refused r) {
      // An erase in progress wins: the stream is gone anyway and its tombstone is written next.
      return eraseReply != null ? Behaviors.same() : superseded(r.write());
    }
    if (result instanceof SegmentFlusher.Failed f) {
      entity
          .log()
          .warn(
              "Stream {} could not flush segment {}: {}",
              streamId,
              seg.objectKey(),
              f.error().toString());
      return Behaviors.same();
    }
    if (result instanceof SegmentFlusher.Adopted) {
      // Another activation indexed these records first (a replaced owner's flush): they are
      // flushed; the rest of memory is flushed next.
      memory.flushed(seg, entity.now());
      segments.add(seg);
      entity
          .log()
          .info(
              "Stream {} adopted segment {} ({}..{}) of another activation.",
              streamId,
              seg.objectKey(),
              seg.firstSeqNum(),
              seg.lastSeqNum());
      if (eraseReply == null) {
        maybeFlush();
      }
      return Behaviors.same();
    }
    memory.flushed(seg, entity.now());
    segments.add(seg);
    streamlets.flushed();
    metrics.segmentFlushes.increment();
    entity
        .log()
        .debug("Stream {} flushed records {}..{}.", streamId, seg.firstSeqNum(), seg.lastSeqNum());
    return Behaviors.same();
  }

  // ---------------------------------------------------------------- stopping

  private Behavior<Command> startDraining(ActorRef<Done> replyTo) {
    if (replyTo != null) {
      drainReplies.add(replyTo);
    }
    if (!draining) {
      draining = true;
      drainStartedMillis = entity.now();
      reads.releaseAll();
      entity.log().debug("Stream {} is draining before it stops.", streamId);
    }
    return continueDraining();
  }

  /** Waits for in-flight appends, flushes what is unflushed, seals the streamlet, stops. */
  private Behavior<Command> continueDraining() {
    if (!pending.isEmpty() || flusher.inFlight()) {
      return Behaviors.same();
    }
    if (!memory.isEmpty() && !flushAttemptedWhileDraining) {
      flushAttemptedWhileDraining = true;
      maybeFlush();
      return Behaviors.same();
    }
    if (streamlets.current() != null) {
      return reseal("it is stopping");
    }
    answerDrainReplies();
    entity.waiting.failAll(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");
    long now = entity.now();
    String msg =
        "Stream {} stopped gracefully at seq num {} after draining {} ms, at {} ms since the"
            + " epoch.";
    Object[] args = {streamId, sequencer.durable().nextSeqNum(), now - drainStartedMillis, now};
    if (entity.passivationRequested()) {
      entity.log().debug(msg, args); // idle passivation
    } else {
      // a hand-off (rebalance, the node leaving) or a shutdown: the old owner's half of the
      // hand-off timing (docs/adr/0012)
      entity.log().info(msg, args);
    }
    return entity.stopNow();
  }

  private Behavior<Command> onErase(Erase m) {
    pending.failUnsettled(new Failed(ErrorCode.STREAM_NOT_FOUND, "stream was deleted"), false);
    reads.releaseAll();
    streamlets.release(false);
    entity.log().info("Stream {} was erased; its entity stops.", streamId);
    if (flusher.inFlight()) {
      draining = true;
      eraseReply = m.replyTo();
      return Behaviors.same();
    }
    return entity.erasing(m.replyTo());
  }

  /**
   * A metadata write was refused: a newer activation of the stream exists and this instance's view
   * is stale. Appends it never sent fail with {@code unavailable} (no side effect); appends in
   * flight or failed but unsealed fail with {@code other}, because their records may be durable and
   * visible to the newer owner (both are retryable; nothing is acked that is not durable). Waiting
   * reads fail with {@code unavailable}. Then it stops; the next request activates a fresh instance
   * that recovers from storage.
   */
  @Override
  public Behavior<Command> superseded(String refused) {
    entity
        .log()
        .warn(
            "Stream {} epoch {} is superseded by a newer activation ({} was refused); it fails"
                + " its pending appends and stops.",
            streamId,
            streamlets.epoch(),
            refused);
    Failed mayBeDurable =
        new Failed(ErrorCode.OTHER, "the stream moved to a newer owner; the append may be durable");
    metrics.appendFailures.add(pending.failUnsettled(mayBeDurable, true));
    reads.failAll(new Failed(ErrorCode.UNAVAILABLE, "stream moved; retry"));
    streamlets.release(true);
    streamlets.releaseAssignedLoad();
    entity.waiting.failAll(ErrorCode.UNAVAILABLE, "stream moved; retry");
    answerDrainReplies();
    entity.timers.cancel("tick");
    return entity.passivateAndStop();
  }

  private void answerDrainReplies() {
    drainReplies.forEach(r -> r.tell(Done.getInstance()));
    drainReplies.clear();
  }

  /** The entity stops: what it holds is released and every queued append answered. */
  void stopped() {
    streamlets.releaseAssignedLoad();
    streamlets.release(false);
    pending.stopped();
    reads.releaseAll();
  }
}
