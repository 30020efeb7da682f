package io.millrace.engine.stream;

import static io.millrace.core.Failures.unwrap;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSerializable;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.read.ReadPlan;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.ChannelLoad;
import io.millrace.engine.wal.ChannelSupervisor;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The owner of one stream's tail (architecture sections 2, 5, 6, 7): a Cluster Sharding entity
 * whose id is the stream id.
 *
 * <p>It sequences appends with a {@link StreamSequencer} against the assigned tail, hands them to
 * its channel (many batches in flight), and replies to appends strictly in log order: acks and
 * rejections alike are released only after every earlier append of the stream is durable. On a
 * storage failure it fails the affected batches and every later one, rolls back to the durable
 * state, seals its streamlet at the durable tail, and opens a new streamlet (epoch + 1) for the
 * next append. It keeps durable unflushed records in memory, flushes them into segments, hands out
 * read plans and completes long-polling reads.
 *
 * <p>Its metadata writes (segment, stream state, streamlet create and seal) are fenced: when the
 * store refuses one, a newer activation of the stream exists (split brain, a lost handoff, a pause
 * past failure detection) and this instance is superseded. It then fails what it holds retryably
 * and stops, so that the next request activates a fresh instance that recovers from storage.
 */
public final class StreamEntity {
  private StreamEntity() {}

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "millrace-stream");

  /** Messages of a stream entity. Those sent through sharding are {@link EngineSerializable}. */
  public sealed interface Command {}

  /** The resolved stream config an entity needs, carried by every request. */
  public record StreamParams(StorageClass storageClass, TimestampingMode mode, boolean uncapped)
      implements EngineSerializable {}

  /** A request answered with a {@link Reply}; every one of them can be answered with a failure. */
  sealed interface Request extends Command permits Append, SessionAppend, Read, CheckTail {
    ActorRef<? super Failed> replyTo();
  }

  /** Appends a validated batch. */
  public record Append(StreamParams params, AppendInput input, ActorRef<AppendReply> replyTo)
      implements Request, EngineSerializable {}

  /**
   * Appends a validated batch of an append session. Batches of one session arrive in submission
   * order; once one of them is rejected or fails, every later batch of the session is answered with
   * a failure and not appended.
   */
  public record SessionAppend(
      StreamParams params, AppendInput input, String sessionId, ActorRef<AppendReply> replyTo)
      implements Request, EngineSerializable {}

  /** A unary read. */
  public record Read(StreamParams params, ReadRequest request, ActorRef<ReadReply> replyTo)
      implements Request, EngineSerializable {}

  /** The durable tail. */
  public record CheckTail(StreamParams params, ActorRef<TailReply> replyTo)
      implements Request, EngineSerializable {}

  /** An answer of the entity to a {@link Request}: a result, or a {@link Failed failure}. */
  public sealed interface Reply extends EngineSerializable
      permits AppendReply, ReadReply, TailReply {}

  /** The answer to an append: its outcome (an ack or a rejection), or a failure. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = AppendResult.class, name = "result"),
    @JsonSubTypes.Type(value = Failed.class, name = "failed")
  })
  public sealed interface AppendReply extends Reply permits AppendResult, Failed {}

  /** The outcome of an append: acknowledged, or rejected (412). */
  public record AppendResult(AppendOutcome outcome) implements AppendReply {}

  /**
   * The answer to a read: an outcome ready now (416, empty, or a live batch), a plan to fetch, or a
   * failure.
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ReadResult.class, name = "result"),
    @JsonSubTypes.Type(value = ReadPlanned.class, name = "planned"),
    @JsonSubTypes.Type(value = Failed.class, name = "failed")
  })
  public sealed interface ReadReply extends Reply permits ReadResult, ReadPlanned, Failed {}

  /** A read answered by the entity itself. */
  public record ReadResult(ReadOutcome outcome) implements ReadReply {}

  /** A catch-up read: the caller executes the plan outside the entity. */
  public record ReadPlanned(ReadPlan plan) implements ReadReply {}

  /** The answer to a check tail: the durable tail, or a failure. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = TailResult.class, name = "result"),
    @JsonSubTypes.Type(value = Failed.class, name = "failed")
  })
  public sealed interface TailReply extends Reply permits TailResult, Failed {}

  /** The durable tail. */
  public record TailResult(StreamPosition tail) implements TailReply {}

  /** A request failed with {@code code}; the caller sees it as an {@code S2Exception}. */
  @JsonTypeName("failed")
  public record Failed(ErrorCode code, String message)
      implements AppendReply, ReadReply, TailReply {}

  /** Graceful stop (sharding's stop message: passivation and handoff). */
  public record Passivate() implements Command, EngineSerializable {}

  /** Graceful stop asked by {@link DataPlane#stop()}; replies when sealed and stopped. */
  public record Shutdown(ActorRef<Done> replyTo) implements Command, EngineSerializable {}

  /** The stream was deleted: stop without flushing or sealing. */
  public record Erase(ActorRef<Done> replyTo) implements Command, EngineSerializable {}

  private record Loaded(StreamRecovery.Recovered recovered) implements Command {}

  private record LoadFailed(Throwable error) implements Command {}

  private record ChannelAnswer(Channel.Result result) implements Command {}

  private record ChannelStopped(String channelId) implements Command {}

  private record ChannelAssigned(Channel.Registered registered) implements Command {}

  private record ChannelAssignFailed(Throwable error) implements Command {}

  private record StreamletCreated(Channel.Registered registered, long epoch, boolean won)
      implements Command {}

  private record StreamletCreateFailed(Channel.Registered registered, long epoch, Throwable error)
      implements Command {}

  private record StreamletsReread(
      Channel.Registered registered, long epoch, Throwable error, List<StreamletRecord> found)
      implements Command {}

  /** A seal's outcome: applied, refused (a newer activation exists), or failed ({@code error}). */
  private record StreamletSealed(boolean applied, Throwable error) implements Command {}

  /**
   * A segment flush's outcome: {@code refused} names the metadata write that a newer activation
   * refused (null if every write applied), {@code error} a failure.
   */
  private record FlushDone(
      SegmentRecord segment, StreamSequencer.State state, String refused, Throwable error)
      implements Command {}

  /**
   * One segment flush: the records, the object's bytes and the metadata rows it writes. A failed
   * attempt is retried exactly as it was, before anything newer is flushed: some of its writes may
   * have applied (a store failing or timing out mid-way), and only an identical retry reads them
   * back as applied instead of as another owner's.
   */
  private record FlushAttempt(
      List<SequencedRecord> records,
      StreamSequencer.State state,
      long epoch,
      byte[] data,
      SegmentRecord segment,
      StreamStateRecord row) {}

  private record Tick() implements Command {}

  private record WaitExpired(long waiterId) implements Command {}

  /** Everything an entity needs from its node. */
  public record Deps(
      ObjectStore objects,
      MetadataStore metadata,
      ActorRef<ChannelSupervisor.Command> channels,
      EngineSettings settings,
      EngineMetrics metrics,
      Clock clock,
      ConcurrentMap<String, ActorRef<Command>> localEntities,
      WalChunkCache walChunks) {}

  public static Behavior<Command> create(
      String streamId, ActorRef<ClusterSharding.ShardCommand> shard, Deps deps) {
    return Behaviors.withStash(
        10_000,
        stash ->
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers -> new Instance(streamId, shard, deps, ctx, stash, timers).idle())));
  }

  /** One entry of the reply queue, in log order. */
  private static final class Pending {
    final long batchId;
    final List<SequencedRecord> records;
    final long bytes;
    final StreamSequencer.State stateAfter;
    final AppendAck ack;
    final ActorRef<AppendReply> replyTo;
    AppendReply ready;
    long chunkSeq = -1;
    String sessionId;

    /**
     * A {@code storage} failure decided but not yet released: it is released only once the
     * streamlet is sealed at the durable tail (so no later recovery can trust the batch's chunk);
     * if sealing fails it becomes {@code other} (may be durable).
     */
    boolean held;

    Pending(
        long batchId,
        List<SequencedRecord> records,
        long bytes,
        StreamSequencer.State stateAfter,
        AppendAck ack,
        ActorRef<AppendReply> replyTo) {
      this.batchId = batchId;
      this.records = records;
      this.bytes = bytes;
      this.stateAfter = stateAfter;
      this.ack = ack;
      this.replyTo = replyTo;
    }

    static Pending rejection(ActorRef<AppendReply> replyTo, AppendReply reply) {
      Pending p = new Pending(-1, List.of(), 0, null, null, replyTo);
      p.ready = reply;
      return p;
    }

    boolean inFlight() {
      return ready == null;
    }
  }

  private record Streamlet(
      long epoch,
      String channelId,
      ActorRef<Channel.Command> channel,
      ChannelLoad load,
      long firstChunkSeq) {}

  private record Waiter(ReadRequest request, ActorRef<ReadReply> replyTo) {}

  private static final class Instance {
    private final String streamId;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final Deps deps;
    private final ActorContext<Command> ctx;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final ActorRef<Channel.Result> channelAdapter;

    private StreamParams params;
    private StreamSequencer sequencer;
    private final List<SegmentRecord> segments = new ArrayList<>();
    private final ArrayList<SequencedRecord> memory = new ArrayList<>();
    private long memoryBytes;
    private long oldestUnflushedAt = -1;
    private long flushedNext;
    private boolean flushing;
    private FlushAttempt flushInFlight;
    private FlushAttempt failedFlush;
    private long maxEpoch;
    private Streamlet streamlet;
    private long lastDurableChunk = -1;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private long nextBatchId;
    private final Map<Long, Waiter> waiters = new LinkedHashMap<>();

    /** Append sessions with a failed batch (most recent 10000): their later batches are dropped. */
    private final Map<String, Boolean> failedSessions =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
          }
        };

    private long nextWaiterId;
    private long lastActivity;
    private boolean draining;
    private final List<ActorRef<Done>> drainReplies = new ArrayList<>();
    private boolean passivationRequested;

    /** A segment flush succeeded: rotate the streamlet as soon as no append is in flight. */
    private boolean rotateWanted;

    Instance(
        String streamId,
        ActorRef<ClusterSharding.ShardCommand> shard,
        Deps deps,
        ActorContext<Command> ctx,
        StashBuffer<Command> stash,
        TimerScheduler<Command> timers) {
      this.streamId = streamId;
      this.shard = shard;
      this.deps = deps;
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.channelAdapter = ctx.messageAdapter(Channel.Result.class, ChannelAnswer::new);
      deps.localEntities().put(streamId, ctx.getSelf());
    }

    // ---------------------------------------------------------------- idle (not loaded)

    Behavior<Command> idle() {
      return Behaviors.receive(Command.class)
          .onMessage(Erase.class, m -> erasing(m.replyTo()))
          .onMessage(
              Shutdown.class,
              m -> {
                m.replyTo().tell(Done.getInstance());
                return stopNow();
              })
          .onMessage(Passivate.class, m -> stopNow())
          .onAnyMessage(
              m -> {
                stash.stash(m);
                return loading();
              })
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Command> loading() {
      deps.metrics().activations.increment();
      ctx.pipeToSelf(
          new StreamRecovery(
                  deps.objects(),
                  deps.metadata(),
                  deps.walChunks(),
                  deps.settings().maxChunkWritesInFlight())
              .recover(streamId),
          (r, err) -> err == null ? new Loaded(r) : new LoadFailed(unwrap(err)));
      return Behaviors.receive(Command.class)
          .onMessage(Loaded.class, this::onLoaded)
          .onMessage(
              LoadFailed.class,
              m -> {
                if (m.error() instanceof S2Exception e && e.code() == ErrorCode.STREAM_NOT_FOUND) {
                  ctx.getLog().debug("Stream {} was erased; it stays erased.", streamId);
                  return erased();
                }
                ctx.getLog()
                    .error("Stream {} could not be activated: {}", streamId, m.error().toString());
                failStash(ErrorCode.UNAVAILABLE, "stream could not be activated: " + m.error());
                if (m.error() instanceof IllegalStateException ise) {
                  throw ise;
                }
                return stopNow();
              })
          .onMessage(Erase.class, m -> erasing(m.replyTo()))
          .onAnyMessage(
              m -> {
                stashOrReject(m);
                return Behaviors.same();
              })
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Command> onLoaded(Loaded m) {
      StreamRecovery.Recovered r = m.recovered();
      sequencer = new StreamSequencer(r.state());
      segments.addAll(r.segments());
      memory.addAll(r.unflushed());
      for (SequencedRecord rec : r.unflushed()) {
        memoryBytes += rec.meteredSize();
      }
      if (!memory.isEmpty()) {
        oldestUnflushedAt = now();
      }
      flushedNext = r.flushedNextSeqNum();
      maxEpoch = r.maxEpoch();
      lastActivity = now();
      Duration tick = tickInterval();
      timers.startTimerWithFixedDelay("tick", new Tick(), tick);
      ctx.getLog()
          .debug(
              "Stream {} activated at tail {} (flushed {}, epoch {}).",
              streamId,
              r.state().nextSeqNum(),
              flushedNext,
              maxEpoch);
      return stash.unstashAll(active());
    }

    // ---------------------------------------------------------------- active

    private Behavior<Command> active() {
      return Behaviors.receive(Command.class)
          .onMessage(Append.class, this::onAppend)
          .onMessage(SessionAppend.class, this::onSessionAppend)
          .onMessage(Read.class, this::onRead)
          .onMessage(CheckTail.class, this::onCheckTail)
          .onMessage(ChannelAnswer.class, this::onChannelAnswer)
          .onMessage(ChannelStopped.class, this::onChannelStopped)
          .onMessage(FlushDone.class, this::onFlushDone)
          .onMessage(Tick.class, this::onTick)
          .onMessage(WaitExpired.class, this::onWaitExpired)
          .onMessage(Passivate.class, m -> startDraining(null))
          .onMessage(Shutdown.class, m -> startDraining(m.replyTo()))
          .onMessage(Erase.class, this::onErase)
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Command> onAppend(Append m) {
      return append(m, m, null);
    }

    private Behavior<Command> onSessionAppend(SessionAppend m) {
      if (failedSessions.containsKey(m.sessionId())) {
        enqueueRejection(
            m.replyTo(),
            new Failed(
                ErrorCode.OTHER,
                "an earlier batch of this append session failed; batch not appended"));
        return Behaviors.same();
      }
      return append(new Append(m.params(), m.input(), m.replyTo()), m, m.sessionId());
    }

    private void sessionFailed(String sessionId) {
      if (sessionId != null) {
        failedSessions.put(sessionId, Boolean.TRUE);
      }
    }

    /**
     * An append; {@code original} is what gets stashed, {@code sessionId} null outside sessions.
     */
    private Behavior<Command> append(Append m, Command original, String sessionId) {
      lastActivity = now();
      params = m.params();
      if (draining) {
        sessionFailed(sessionId);
        m.replyTo().tell(new Failed(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry"));
        return Behaviors.same();
      }
      if (streamlet != null && streamlet.load().isDead()) {
        stash.stash(original);
        if (firstInFlight() != null) {
          return onStorageFailure(
              new S2Exception(
                  ErrorCode.STORAGE, "WAL channel " + streamlet.channelId() + " died; retry"));
        }
        return reseal("its channel " + streamlet.channelId() + " stopped");
      }
      if (streamlet == null) {
        stash.stash(original);
        return openStreamlet();
      }
      if (rotateWanted) {
        // A segment flush moved the replay start: wait for in-flight appends, then rotate.
        stashOrReject(original);
        return firstInFlight() == null ? rotate() : Behaviors.same();
      }
      long bytes = m.input().meteredSize();
      if (streamlet.load().pendingBytes() + bytes > deps.settings().maxPendingBytes()) {
        sessionFailed(sessionId);
        enqueueRejection(
            m.replyTo(), new Failed(ErrorCode.UNAVAILABLE, "too many appends pending; retry"));
        return Behaviors.same();
      }
      StreamSequencer.Decision d =
          sequencer.sequence(m.input(), m.params().mode(), m.params().uncapped(), now());
      if (d instanceof StreamSequencer.Accepted a) {
        long id = nextBatchId++;
        Pending p = new Pending(id, a.records(), bytes, a.stateAfter(), a.ack(), m.replyTo());
        p.sessionId = sessionId;
        queue.add(p);
        streamlet
            .channel()
            .tell(
                new Channel.Append(
                    streamId, streamlet.epoch(), id, a.records(), bytes, channelAdapter));
      } else if (d instanceof StreamSequencer.Rejected rej) {
        sessionFailed(sessionId);
        deps.metrics().appendRejections.increment();
        enqueueRejection(m.replyTo(), new AppendResult(rej.outcome()));
      } else {
        S2Exception e = ((StreamSequencer.Invalid) d).error();
        sessionFailed(sessionId);
        deps.metrics().appendRejections.increment();
        enqueueRejection(m.replyTo(), new Failed(e.code(), e.getMessage()));
      }
      return Behaviors.same();
    }

    private void enqueueRejection(ActorRef<AppendReply> replyTo, AppendReply reply) {
      queue.add(Pending.rejection(replyTo, reply));
      releaseReady();
    }

    /** Replies to the head of the queue while it is decided, in log order. */
    private void releaseReady() {
      while (!queue.isEmpty() && !queue.peekFirst().inFlight() && !queue.peekFirst().held) {
        Pending p = queue.pollFirst();
        p.replyTo.tell(p.ready);
      }
    }

    private Behavior<Command> onChannelAnswer(ChannelAnswer m) {
      Channel.Result res = m.result();
      if (streamlet == null || !res.channelId().equals(streamlet.channelId())) {
        return Behaviors.same();
      }
      Pending head = firstInFlight();
      if (head == null || head.batchId > res.batchId()) {
        return Behaviors.same(); // stale answer for a batch already failed
      }
      if (res instanceof Channel.Durable d) {
        if (head.batchId != d.batchId()) {
          throw new IllegalStateException(
              "stream "
                  + streamId
                  + " epoch "
                  + streamlet.epoch()
                  + ": batch "
                  + d.batchId()
                  + " durable before batch "
                  + head.batchId);
        }
        onDurable(head, d.chunkSeq());
        if (draining) {
          return continueDraining();
        }
        return rotateWanted && firstInFlight() == null ? rotate() : Behaviors.same();
      }
      Channel.Failed f = (Channel.Failed) res;
      return onStorageFailure(f.error());
    }

    /** The channel stopped; if it left batches unanswered, they failed. */
    private Behavior<Command> onChannelStopped(ChannelStopped m) {
      if (streamlet == null || !streamlet.channelId().equals(m.channelId())) {
        return Behaviors.same();
      }
      if (firstInFlight() != null) {
        return onStorageFailure(
            new S2Exception(ErrorCode.STORAGE, "WAL channel " + m.channelId() + " stopped; retry"));
      }
      return draining ? Behaviors.same() : reseal("its channel " + m.channelId() + " stopped");
    }

    private Pending firstInFlight() {
      for (Pending p : queue) {
        if (p.inFlight()) {
          return p;
        }
      }
      return null;
    }

    private void onDurable(Pending p, long chunkSeq) {
      sequencer.markDurable(p.stateAfter);
      lastDurableChunk = Math.max(lastDurableChunk, chunkSeq);
      if (memory.isEmpty()) {
        oldestUnflushedAt = now();
      }
      memory.addAll(p.records);
      for (SequencedRecord r : p.records) {
        memoryBytes += r.meteredSize();
      }
      deps.metrics().appends.increment();
      deps.metrics().appendedRecords.add(p.records.size());
      deps.metrics().appendedBytes.add(p.bytes);
      StreamPosition tail = sequencer.durable().tail();
      p.ready =
          new AppendResult(
              new AppendOutcome.Appended(new AppendAck(p.ack.start(), p.ack.end(), tail)));
      releaseReady();
      notifyWaiters(p.records, tail);
      if (memoryBytes >= deps.settings().segmentFlushBytes()) {
        maybeFlush(true);
      }
    }

    /** A batch in flight failed: fail it and every later one, roll back, reseal. */
    private Behavior<Command> onStorageFailure(S2Exception error) {
      int failed = 0;
      for (Pending p : queue) {
        if (p.inFlight()) {
          p.ready = new Failed(error.code(), error.getMessage());
          p.held = true;
          sessionFailed(p.sessionId);
          failed++;
        }
      }
      deps.metrics().appendFailures.add(failed);
      sequencer.rollback();
      releaseReady();
      ctx.getLog()
          .warn(
              "Stream {} epoch {}: {} in-flight appends failed ({}); back to durable tail {}.",
              streamId,
              streamlet.epoch(),
              failed,
              error.getMessage(),
              sequencer.durable().nextSeqNum());
      return reseal("a WAL write failed");
    }

    // ---------------------------------------------------------------- streamlets

    /** Seals the current streamlet at the durable tail; appends wait until it is done. */
    private Behavior<Command> reseal(String why) {
      Streamlet s = streamlet;
      long next = sequencer.durable().nextSeqNum();
      long lastChunk = lastDurableChunk < 0 ? s.firstChunkSeq() - 1 : lastDurableChunk;
      org.slf4j.event.Level level =
          draining ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.INFO;
      ctx.getLog()
          .atLevel(level)
          .log(
              "Stream {} seals epoch {} at seq num {} (last chunk {}) because {}.",
              streamId,
              s.epoch(),
              next,
              lastChunk,
              why);
      ctx.pipeToSelf(
          deps.metadata().sealStreamlet(streamId, s.epoch(), next, lastChunk),
          (ok, err) -> new StreamletSealed(err == null && ok, err == null ? null : unwrap(err)));
      return Behaviors.receive(Command.class)
          .onMessage(
              StreamletSealed.class,
              m -> {
                if (m.error() != null) {
                  mayBeDurable();
                  ctx.getLog()
                      .error(
                          "Stream {} epoch {} could not seal its streamlet at {}; it stops: {}",
                          streamId,
                          s.epoch(),
                          next,
                          m.error().toString());
                  return passivateAndStop();
                }
                if (!m.applied()) {
                  return superseded("sealing epoch " + s.epoch() + " at seq num " + next);
                }
                releaseStreamlet();
                releaseHeld();
                if (draining) {
                  Behavior<Command> after = continueDraining();
                  return after == Behaviors.<Command>same() ? active() : after;
                }
                return stash.unstashAll(active());
              })
          .onMessage(ChannelAnswer.class, m -> Behaviors.same())
          .onMessage(FlushDone.class, this::applyFlushDone)
          .onMessage(Tick.class, m -> Behaviors.same())
          .onMessage(WaitExpired.class, this::onWaitExpired)
          .onSignal(PostStop.class, sig -> onPostStop())
          .onAnyMessage(
              m -> {
                stashOrReject(m);
                return Behaviors.same();
              })
          .build();
    }

    /** The streamlet is sealed at the durable tail: held failures are final; release them. */
    private void releaseHeld() {
      for (Pending p : queue) {
        p.held = false;
      }
      releaseReady();
    }

    /** Sealing failed: a failed batch's chunk may still be trusted by a later recovery. */
    private void mayBeDurable() {
      for (Pending p : queue) {
        if (p.held) {
          p.held = false;
          p.ready =
              new Failed(
                  ErrorCode.OTHER,
                  "the WAL write failed and the stream could not be sealed; the append may be"
                      + " durable");
        }
      }
      releaseReady();
    }

    private void releaseStreamlet() {
      if (streamlet != null) {
        ctx.unwatch(streamlet.channel());
        streamlet.load().streamReleased();
        streamlet = null;
        lastDurableChunk = -1;
        rotateWanted = false;
      }
    }

    /** Acquires a channel and registers a new streamlet (epoch + 1); appends wait meanwhile. */
    private Behavior<Command> openStreamlet() {
      StorageClass sc = params == null ? StorageClass.EXPRESS : params.storageClass();
      ctx.ask(
          Channel.Registered.class,
          deps.channels(),
          deps.settings().askTimeout(),
          (ActorRef<Channel.Registered> ref) -> new ChannelSupervisor.Acquire(streamId, sc, ref),
          (reg, err) -> err == null ? new ChannelAssigned(reg) : new ChannelAssignFailed(err));
      return Behaviors.receive(Command.class)
          .onMessage(
              ChannelAssigned.class,
              m -> {
                long epoch = maxEpoch + 1;
                Channel.Registered reg = m.registered();
                // The stream counts on the channel only once the entity holds the assignment: a
                // Registered that arrives after the ask timed out is never counted.
                reg.load().streamAssigned();
                assignedLoad = reg.load();
                ctx.pipeToSelf(
                    deps.metadata()
                        .createStreamlet(
                            new StreamletRecord(
                                streamId, epoch, reg.channelId(), reg.firstChunkSeq(), null, null)),
                    (won, err) ->
                        err == null
                            ? new StreamletCreated(reg, epoch, won)
                            : new StreamletCreateFailed(reg, epoch, unwrap(err)));
                return Behaviors.same();
              })
          .onMessage(
              StreamletCreateFailed.class,
              m -> {
                // The insert may have been applied: whatever happens next, never reuse this epoch,
                // and look whether the row is there (then it is ours).
                maxEpoch = Math.max(maxEpoch, m.epoch());
                ctx.pipeToSelf(
                    deps.metadata().listStreamlets(streamId),
                    (found, err) ->
                        new StreamletsReread(m.registered(), m.epoch(), m.error(), found));
                return Behaviors.same();
              })
          .onMessage(
              StreamletsReread.class,
              m -> {
                Channel.Registered reg = m.registered();
                boolean ours =
                    m.found() != null
                        && m.found().stream()
                            .anyMatch(
                                l ->
                                    l.epoch() == m.epoch()
                                        && l.sealedNextSeqNum() == null
                                        && reg.channelId().equals(l.channelId())
                                        && l.firstChunkSeq() == reg.firstChunkSeq());
                if (ours) {
                  ctx.getLog()
                      .info(
                          "Stream {}: creating epoch {} reported {} but the row was written;"
                              + " it is ours.",
                          streamId,
                          m.epoch(),
                          m.error().toString());
                  return onStreamletCreated(new StreamletCreated(reg, m.epoch(), true));
                }
                long highest = -1;
                if (m.found() != null) {
                  for (StreamletRecord l : m.found()) {
                    highest = Math.max(highest, l.epoch());
                  }
                }
                if (highest >= m.epoch()) {
                  // Another activation holds this epoch or a higher one: never adopt its epoch
                  // (a later state write at it would pass the fence); stop and let a fresh
                  // activation recover.
                  return superseded(
                      "creating epoch "
                          + m.epoch()
                          + " (another owner holds epoch "
                          + highest
                          + ")");
                }
                maxEpoch = Math.max(maxEpoch, highest);
                releaseAssignedLoad();
                ctx.getLog()
                    .warn(
                        "Stream {} could not open epoch {}: {}",
                        streamId,
                        m.epoch(),
                        m.error().toString());
                failStashedAppends(ErrorCode.UNAVAILABLE, "could not open a streamlet; retry");
                return stash.unstashAll(active());
              })
          .onMessage(StreamletCreated.class, this::onStreamletCreated)
          .onMessage(
              ChannelAssignFailed.class,
              m -> {
                ctx.getLog()
                    .warn(
                        "Stream {} could not open a streamlet: {}", streamId, m.error().toString());
                failStashedAppends(ErrorCode.UNAVAILABLE, "no channel available; retry");
                return stash.unstashAll(active());
              })
          .onMessage(FlushDone.class, this::applyFlushDone)
          .onMessage(Tick.class, m -> Behaviors.same())
          .onMessage(WaitExpired.class, this::onWaitExpired)
          .onMessage(ChannelAnswer.class, m -> Behaviors.same())
          .onSignal(PostStop.class, sig -> onPostStop())
          .onAnyMessage(
              m -> {
                stashOrReject(m);
                return Behaviors.same();
              })
          .build();
    }

    /** The channel load counted for an assignment that has no streamlet yet. */
    private ChannelLoad assignedLoad;

    private void releaseAssignedLoad() {
      if (assignedLoad != null) {
        assignedLoad.streamReleased();
        assignedLoad = null;
      }
    }

    private Behavior<Command> onStreamletCreated(StreamletCreated m) {
      maxEpoch = Math.max(maxEpoch, m.epoch());
      if (!m.won()) {
        return superseded("creating epoch " + m.epoch());
      }
      Channel.Registered reg = m.registered();
      assignedLoad = null; // now held by the streamlet
      streamlet =
          new Streamlet(m.epoch(), reg.channelId(), reg.channel(), reg.load(), reg.firstChunkSeq());
      lastDurableChunk = -1;
      ctx.watchWith(reg.channel(), new ChannelStopped(reg.channelId()));
      ctx.getLog()
          .debug(
              "Stream {} opened epoch {} on channel {} at chunk {}.",
              streamId,
              m.epoch(),
              reg.channelId(),
              reg.firstChunkSeq());
      return stash.unstashAll(active());
    }

    // ---------------------------------------------------------------- reads

    private Behavior<Command> onRead(Read m) {
      lastActivity = now();
      deps.metrics().reads.increment();
      StreamSequencer.State d = sequencer.durable();
      ReadRules.Resolution res = ReadRules.resolve(m.request(), d.tail(), d.trimPoint());
      if (res instanceof ReadRules.NotSatisfiable ns) {
        m.replyTo().tell(new ReadResult(new ReadOutcome.RangeNotSatisfiable(ns.tail())));
      } else if (res instanceof ReadRules.Empty) {
        m.replyTo().tell(new ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(), null))));
      } else if (res instanceof ReadRules.AwaitTail aw) {
        if (draining) {
          m.replyTo().tell(new ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(), null))));
        } else {
          long id = nextWaiterId++;
          waiters.put(id, new Waiter(m.request(), m.replyTo()));
          timers.startSingleTimer(
              "wait-" + id, new WaitExpired(id), Duration.ofMillis(aw.waitMillis()));
        }
      } else {
        m.replyTo().tell(new ReadPlanned(plan((ReadRules.CatchUp) res, m.request())));
      }
      return Behaviors.same();
    }

    private ReadPlan plan(ReadRules.CatchUp c, ReadRequest req) {
      List<SegmentRecord> segs = new ArrayList<>();
      int cap = ReadRules.unaryCount(req);
      long covered = 0;
      for (SegmentRecord s : segments) {
        if (covered >= cap) {
          break; // enough records for this batch; later segments are not needed
        }
        if (s.lastSeqNum() < c.trimPoint()) {
          continue;
        }
        boolean relevant =
            c.startSeqNum() != null
                ? s.lastSeqNum() >= c.startSeqNum()
                : s.lastTimestamp() >= c.startTimestamp();
        if (relevant) {
          segs.add(s);
          long from = Math.max(s.firstSeqNum(), c.trimPoint());
          if (c.startSeqNum() != null) {
            from = Math.max(from, c.startSeqNum());
          } else if (segs.size() == 1) {
            from = s.lastSeqNum(); // only the last record is sure to match the timestamp
          }
          covered += s.lastSeqNum() - from + 1;
        }
      }
      int from = 0;
      if (!memory.isEmpty()) {
        if (c.startSeqNum() != null) {
          long first = memory.get(0).seqNum();
          from = (int) Math.max(0, Math.min(memory.size(), c.startSeqNum() - first));
        } else {
          while (from < memory.size() && memory.get(from).timestamp() < c.startTimestamp()) {
            from++;
          }
        }
        if (c.trimPoint() > memory.get(0).seqNum()) {
          from =
              (int) Math.max(from, Math.min(memory.size(), c.trimPoint() - memory.get(0).seqNum()));
        }
      }
      int to = Math.min(memory.size(), from + ReadRules.unaryCount(req));
      List<SequencedRecord> mem = new ArrayList<>(memory.subList(from, to));
      return new ReadPlan(c, segs, mem, sequencer.durable().tail());
    }

    private void notifyWaiters(List<SequencedRecord> records, StreamPosition tail) {
      if (waiters.isEmpty()) {
        return;
      }
      Iterator<Map.Entry<Long, Waiter>> it = waiters.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Long, Waiter> e = it.next();
        ReadRules.Collector col = ReadRules.Collector.forUnary(e.getValue().request());
        for (SequencedRecord r : records) {
          if (!col.offer(r)) {
            break;
          }
        }
        timers.cancel("wait-" + e.getKey());
        e.getValue()
            .replyTo()
            .tell(new ReadResult(new ReadOutcome.Batch(new ReadBatch(col.records(), tail))));
        it.remove();
      }
    }

    private Behavior<Command> onWaitExpired(WaitExpired m) {
      Waiter w = waiters.remove(m.waiterId());
      if (w != null) {
        w.replyTo().tell(new ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(), null))));
      }
      return Behaviors.same();
    }

    private void releaseWaiters() {
      for (Map.Entry<Long, Waiter> e : waiters.entrySet()) {
        timers.cancel("wait-" + e.getKey());
        e.getValue()
            .replyTo()
            .tell(new ReadResult(new ReadOutcome.Batch(new ReadBatch(List.of(), null))));
      }
      waiters.clear();
    }

    private Behavior<Command> onCheckTail(CheckTail m) {
      lastActivity = now();
      m.replyTo().tell(new TailResult(sequencer.durable().tail()));
      return Behaviors.same();
    }

    // ---------------------------------------------------------------- segment flush

    private Behavior<Command> onTick(Tick m) {
      if (!memory.isEmpty()
          && oldestUnflushedAt >= 0
          && now() - oldestUnflushedAt >= deps.settings().segmentFlushAge().toMillis()) {
        maybeFlush(false);
      }
      if (!draining
          && !passivationRequested
          && queue.isEmpty()
          && waiters.isEmpty()
          && !flushing
          && now() - lastActivity >= deps.settings().passivationIdleTime().toMillis()) {
        if (shard != null) {
          ctx.getLog().debug("Stream {} is idle; passivating.", streamId);
          passivationRequested = true;
          shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
        }
      }
      return Behaviors.same();
    }

    private void maybeFlush(boolean bySize) {
      if (flushing || memory.isEmpty()) {
        return;
      }
      flushing = true;
      FlushAttempt attempt = failedFlush != null ? failedFlush : nextFlush();
      failedFlush = null;
      flushInFlight = attempt;
      runFlush(attempt);
    }

    /** A flush of everything in memory, which ends at the durable tail. */
    private FlushAttempt nextFlush() {
      List<SequencedRecord> records = List.copyOf(memory);
      StreamSequencer.State state = sequencer.durable();
      if (state.nextSeqNum() != records.get(records.size() - 1).seqNum() + 1) {
        throw new IllegalStateException(
            "stream "
                + streamId
                + ": durable tail "
                + state.nextSeqNum()
                + " does not follow the last unflushed record "
                + records.get(records.size() - 1).seqNum());
      }
      long epoch = streamlet != null ? streamlet.epoch() : maxEpoch;
      SequencedRecord first = records.get(0);
      SequencedRecord last = records.get(records.size() - 1);
      String key = SegmentCodec.objectKey(streamId, first.seqNum(), last.seqNum());
      byte[] data = SegmentCodec.encode(streamId, records);
      SegmentRecord seg =
          new SegmentRecord(
              streamId,
              first.seqNum(),
              last.seqNum(),
              first.timestamp(),
              last.timestamp(),
              key,
              data.length);
      StreamStateRecord row =
          new StreamStateRecord(
              streamId,
              last.seqNum() + 1,
              state.nextSeqNum(),
              state.lastTimestamp(),
              state.fencingToken(),
              state.trimPoint(),
              epoch);
      return new FlushAttempt(records, state, epoch, data, seg, row);
    }

    private void runFlush(FlushAttempt attempt) {
      List<SequencedRecord> records = attempt.records();
      StreamSequencer.State state = attempt.state();
      long epoch = attempt.epoch();
      byte[] data = attempt.data();
      SegmentRecord seg = attempt.segment();
      StreamStateRecord row = attempt.row();
      String key = seg.objectKey();
      ObjectStore objects = deps.objects();
      MetadataStore metadata = deps.metadata();
      CompletionStage<Void> put =
          objects
              .putIfAbsent(key, data)
              .handle(
                  (ok, err) -> {
                    if (err == null) {
                      return CompletableFuture.<Void>completedFuture(null);
                    }
                    Throwable cause = unwrap(err);
                    if (cause instanceof ObjectAlreadyExistsException) {
                      return objects
                          .get(key)
                          .thenApply(
                              existing -> {
                                if (existing.isEmpty()
                                    || !(Arrays.equals(existing.get(), data)
                                        || SegmentCodec.decode(existing.get()).equals(records))) {
                                  throw new IllegalStateException(
                                      "stream "
                                          + streamId
                                          + ": segment "
                                          + key
                                          + " exists with other records");
                                }
                                return (Void) null;
                              })
                          .toCompletableFuture();
                    }
                    return CompletableFuture.<Void>failedFuture(cause);
                  })
              .thenCompose(x -> x);
      CompletionStage<String> writes =
          put.thenCompose(x -> metadata.addSegment(seg))
              .thenCompose(
                  added ->
                      !added
                          ? CompletableFuture.completedFuture("adding segment " + key)
                          : metadata
                              .putStreamState(row)
                              .thenCompose(
                                  written ->
                                      !written
                                          ? CompletableFuture.completedFuture(
                                              "writing the stream state at epoch " + epoch)
                                          // Streamlets before the state's epoch hold only flushed
                                          // records: recovery skips them.
                                          : metadata
                                              .deleteStreamlets(streamId, epoch)
                                              .thenApply(x -> (String) null)));
      ctx.pipeToSelf(
          writes,
          (refused, err) -> new FlushDone(seg, state, refused, err == null ? null : unwrap(err)));
    }

    private Behavior<Command> onFlushDone(FlushDone m) {
      Behavior<Command> next = applyFlushDone(m);
      if (eraseReply != null) {
        return erasing(eraseReply);
      }
      if (next != Behaviors.<Command>same()) {
        return next;
      }
      if (draining) {
        return continueDraining();
      }
      return rotateWanted && firstInFlight() == null ? rotate() : Behaviors.same();
    }

    /**
     * Seals the current streamlet at the durable tail so that the next append opens a new one
     * (epoch + 1) starting at its channel's next chunk: once a later flush records the new epoch in
     * stream_state, recovery replays only chunks written since, instead of the streamlet's whole
     * history (architecture section 5).
     */
    private Behavior<Command> rotate() {
      rotateWanted = false;
      if (streamlet == null) {
        return Behaviors.same();
      }
      return reseal("a segment flush moved its replay start");
    }

    private Behavior<Command> applyFlushDone(FlushDone m) {
      flushing = false;
      FlushAttempt attempt = flushInFlight;
      flushInFlight = null;
      if (m.refused() != null) {
        // An erase in progress wins: the stream is gone anyway and its tombstone is written next.
        return eraseReply != null ? Behaviors.same() : superseded(m.refused());
      }
      if (m.error() != null) {
        ctx.getLog()
            .warn(
                "Stream {} could not flush segment {}: {}",
                streamId,
                m.segment().objectKey(),
                m.error().toString());
        failedFlush = attempt;
        return Behaviors.same();
      }
      SegmentRecord seg = m.segment();
      int n = (int) (seg.lastSeqNum() - seg.firstSeqNum() + 1);
      if (memory.size() < n || memory.get(0).seqNum() != seg.firstSeqNum()) {
        throw new IllegalStateException(
            "stream "
                + streamId
                + ": flushed segment "
                + seg.objectKey()
                + " is not memory's head");
      }
      for (int i = 0; i < n; i++) {
        memoryBytes -= memory.get(i).meteredSize();
      }
      memory.subList(0, n).clear();
      oldestUnflushedAt = memory.isEmpty() ? -1 : now();
      segments.add(seg);
      flushedNext = seg.lastSeqNum() + 1;
      rotateWanted = streamlet != null;
      deps.metrics().segmentFlushes.increment();
      ctx.getLog()
          .debug(
              "Stream {} flushed records {}..{}.", streamId, seg.firstSeqNum(), seg.lastSeqNum());
      return Behaviors.same();
    }

    // ---------------------------------------------------------------- stopping

    private Behavior<Command> startDraining(ActorRef<Done> replyTo) {
      if (replyTo != null) {
        drainReplies.add(replyTo);
      }
      if (!draining) {
        draining = true;
        releaseWaiters();
        ctx.getLog().debug("Stream {} is draining before it stops.", streamId);
      }
      return continueDraining();
    }

    /** Waits for in-flight appends, flushes what is unflushed, seals the streamlet, stops. */
    private Behavior<Command> continueDraining() {
      if (!queue.isEmpty() || flushing) {
        return Behaviors.same();
      }
      if (!memory.isEmpty() && !flushAttemptedWhileDraining) {
        flushAttemptedWhileDraining = true;
        maybeFlush(false);
        return Behaviors.same();
      }
      if (streamlet != null) {
        return reseal("it is stopping");
      }
      return finishDraining();
    }

    private boolean flushAttemptedWhileDraining;
    private ActorRef<Done> eraseReply;

    private Behavior<Command> finishDraining() {
      for (ActorRef<Done> r : drainReplies) {
        r.tell(Done.getInstance());
      }
      failStash(ErrorCode.UNAVAILABLE, "stream is moving or stopping; retry");
      ctx.getLog().debug("Stream {} stopped gracefully.", streamId);
      return stopNow();
    }

    private Behavior<Command> onErase(Erase m) {
      for (Pending p : queue) {
        if (p.inFlight() || p.held) {
          p.held = false;
          p.ready = new Failed(ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
        }
      }
      releaseReady();
      releaseWaiters();
      if (streamlet != null) {
        streamlet.load().streamReleased();
        streamlet = null;
      }
      ctx.getLog().info("Stream {} was erased; its entity stops.", streamId);
      if (flushing) {
        draining = true;
        eraseReply = m.replyTo();
        return Behaviors.same();
      }
      return erasing(m.replyTo());
    }

    private record TombstoneWritten(ActorRef<Done> replyTo, boolean applied, Throwable error)
        implements Command {}

    /**
     * Writes the stream's tombstone (after any flush of this entity has landed, so nothing it
     * writes can follow), then answers the erase. From then on no activation of this stream id
     * accepts anything: requests that still reach it (resolved before the delete) get {@code
     * stream_not_found} and write nothing. If the tombstone cannot be written the erase is not
     * answered (the caller times out and retries).
     */
    private Behavior<Command> erasing(ActorRef<Done> replyTo) {
      failStash(ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
      ctx.pipeToSelf(
          deps.metadata().putStreamState(StreamRecovery.tombstone(streamId)),
          (ok, err) ->
              new TombstoneWritten(replyTo, err == null && ok, err == null ? null : unwrap(err)));
      return Behaviors.receive(Command.class)
          .onMessage(
              TombstoneWritten.class,
              m -> {
                if (m.error() != null || !m.applied()) {
                  ctx.getLog()
                      .warn(
                          "Stream {}: its tombstone could not be written: {}",
                          streamId,
                          m.error() != null ? m.error().toString() : "the store refused it");
                  return passivateAndStop();
                }
                m.replyTo().tell(Done.getInstance());
                return erased();
              })
          .onMessage(Erase.class, m -> Behaviors.same())
          .onMessage(Passivate.class, m -> Behaviors.same())
          .onAnyMessage(
              m -> {
                failRequest(m, ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
                return Behaviors.same();
              })
          .onSignal(PostStop.class, sig -> onPostStop())
          .build();
    }

    /** The stream id is erased: every request is answered 404 until the entity passivates. */
    private Behavior<Command> erased() {
      failStash(ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
      if (shard != null && !passivationRequested) {
        passivationRequested = true;
        shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      }
      return Behaviors.receive(Command.class)
          .onMessage(Passivate.class, m -> stopNow())
          .onMessage(
              Shutdown.class,
              m -> {
                m.replyTo().tell(Done.getInstance());
                return stopNow();
              })
          .onMessage(
              Erase.class,
              m -> {
                m.replyTo().tell(Done.getInstance());
                return Behaviors.same();
              })
          .onAnyMessage(
              m -> {
                failRequest(m, ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
                return Behaviors.same();
              })
          .onSignal(PostStop.class, sig -> onPostStop())
          .build();
    }

    /**
     * A metadata write was refused: a newer activation of the stream exists and this instance's
     * view is stale. Appends it never sent fail with {@code unavailable} (no side effect); appends
     * in flight or failed but unsealed fail with {@code other}, because their records may be
     * durable and visible to the newer owner (both are retryable; nothing is acked that is not
     * durable). Waiting reads fail with {@code unavailable}. Then it stops; the next request
     * activates a fresh instance that recovers from storage.
     */
    private Behavior<Command> superseded(String refused) {
      long epoch = streamlet != null ? streamlet.epoch() : maxEpoch;
      ctx.getLog()
          .warn(
              "Stream {} epoch {} is superseded by a newer activation ({} was refused); it fails"
                  + " its pending appends and stops.",
              streamId,
              epoch,
              refused);
      int failed = 0;
      for (Pending p : queue) {
        if (p.inFlight() || p.held) {
          p.held = false;
          p.ready =
              new Failed(
                  ErrorCode.OTHER, "the stream moved to a newer owner; the append may be durable");
          sessionFailed(p.sessionId);
          failed++;
        }
      }
      deps.metrics().appendFailures.add(failed);
      releaseReady();
      for (Map.Entry<Long, Waiter> e : waiters.entrySet()) {
        timers.cancel("wait-" + e.getKey());
        e.getValue().replyTo().tell(new Failed(ErrorCode.UNAVAILABLE, "stream moved; retry"));
      }
      waiters.clear();
      releaseStreamlet();
      releaseAssignedLoad();
      failStash(ErrorCode.UNAVAILABLE, "stream moved; retry");
      for (ActorRef<Done> r : drainReplies) {
        r.tell(Done.getInstance());
      }
      drainReplies.clear();
      timers.cancel("tick");
      return passivateAndStop();
    }

    /**
     * Stops through the shard (so that requests meanwhile are buffered for the next activation
     * rather than lost on a dead entity); until then requests are refused retryably.
     */
    private Behavior<Command> passivateAndStop() {
      if (shard == null) {
        return stopNow();
      }
      passivationRequested = true;
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      failStash(ErrorCode.UNAVAILABLE, "stream is restarting; retry");
      return Behaviors.receive(Command.class)
          .onMessage(Passivate.class, m -> stopNow())
          .onMessage(Erase.class, m -> erasing(m.replyTo()))
          .onAnyMessage(
              m -> {
                failRequest(m, ErrorCode.UNAVAILABLE, "stream is restarting; retry");
                return Behaviors.same();
              })
          .onSignal(PostStop.class, sig -> onPostStop())
          .build();
    }

    private Behavior<Command> stopNow() {
      return Behaviors.stopped();
    }

    private Behavior<Command> onPostStop() {
      deps.localEntities().remove(streamId, ctx.getSelf());
      releaseAssignedLoad();
      if (streamlet != null) {
        streamlet.load().streamReleased();
        streamlet = null;
      }
      for (Pending p : queue) {
        p.replyTo.tell(
            p.ready != null && !p.held
                ? p.ready
                : new Failed(ErrorCode.OTHER, "stream stopped; the append may be durable"));
      }
      queue.clear();
      releaseWaiters();
      failStash(ErrorCode.UNAVAILABLE, "stream stopped; retry");
      return Behaviors.same();
    }

    /** Stashes a request while the entity is busy, or refuses it when the stash is full. */
    private void stashOrReject(Command m) {
      if (stash.isFull()) {
        failRequest(m, ErrorCode.UNAVAILABLE, "stream is busy; retry");
      } else {
        stash.stash(m);
      }
    }

    private void failStash(ErrorCode code, String message) {
      stash.forEach(m -> failRequest(m, code, message));
      stash.clear();
    }

    private void failStashedAppends(ErrorCode code, String message) {
      List<Command> keep = new ArrayList<>();
      stash.forEach(
          m -> {
            if (m instanceof SessionAppend sa) {
              sessionFailed(sa.sessionId());
            }
            if (m instanceof Append || m instanceof SessionAppend) {
              failRequest(m, code, message);
            } else {
              keep.add(m);
            }
          });
      stash.clear();
      keep.forEach(stash::stash);
    }

    private static void failRequest(Command m, ErrorCode code, String message) {
      if (m instanceof Request r) {
        r.replyTo().tell(new Failed(code, message));
      } else if (m instanceof Shutdown s) {
        s.replyTo().tell(Done.getInstance());
      }
      // An Erase is never answered here: only a written tombstone answers it (the caller retries).
    }

    private Duration tickInterval() {
      long ms =
          Math.min(
                  deps.settings().segmentFlushAge().toMillis(),
                  deps.settings().passivationIdleTime().toMillis())
              / 4;
      return Duration.ofMillis(Math.max(20, Math.min(5000, ms)));
    }

    private long now() {
      return deps.clock().millis();
    }
  }
}
