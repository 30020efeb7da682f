package io.millrace.engine.stream;

import static io.millrace.core.Failures.unwrap;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.engine.ActorSetup;
import io.millrace.engine.DamageReport;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSerializable;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.read.ReadPlan;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.ChannelSupervisor;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.slf4j.Logger;

/**
 * The owner of one stream's tail (architecture sections 2, 5, 6, 7): a Cluster Sharding entity
 * whose id is the stream id.
 *
 * <p>This class holds its protocol (requests, sealed replies, node-local messages) and the states
 * around the loaded stream: idle, loading ({@link StreamRecovery}), erasing and stopping. Once
 * loaded it is an {@link ActiveStream}: appends answered in log order ({@link PendingAppends}),
 * streamlets ({@link StreamletLifecycle}), segment flushes ({@link SegmentFlusher}), read plans and
 * long-polling reads ({@link StreamReads}).
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

  /**
   * The resolved stream config an entity needs to append, carried by every append (ADR 0005): reads
   * and check-tails need none.
   */
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
   * a failure and not appended. {@code afterUnanswered}: an earlier batch of the session had no
   * answer yet when this one was sent. An entity incarnation that never saw the session refuses
   * such a batch (503, not appended): the earlier batch went to another incarnation or was dropped
   * on the way (a stream moving between nodes), and its outcome is unknown here, so appending this
   * one could put it after a failed batch of its session (docs/adr/0012).
   */
  public record SessionAppend(
      StreamParams params,
      AppendInput input,
      String sessionId,
      boolean afterUnanswered,
      ActorRef<AppendReply> replyTo)
      implements Request, EngineSerializable {}

  /**
   * A unary read. {@code retentionAgeSecs} is the stream's retention age (null: infinite): records
   * whose timestamp is older are not returned (docs/adr/0006).
   */
  public record Read(ReadRequest request, Long retentionAgeSecs, ActorRef<ReadReply> replyTo)
      implements Request, EngineSerializable {

    /** A read of a stream with infinite retention. */
    public Read(ReadRequest request, ActorRef<ReadReply> replyTo) {
      this(request, null, replyTo);
    }
  }

  /** The durable tail. */
  public record CheckTail(ActorRef<TailReply> replyTo) implements Request, EngineSerializable {}

  /**
   * An answer of the entity to a {@link Request}: a result, or a {@link Failed failure}. Crossing
   * nodes, every reply is written with its type name.
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = AppendResult.class, name = "append-result"),
    @JsonSubTypes.Type(value = ReadResult.class, name = "read-result"),
    @JsonSubTypes.Type(value = ReadPlanned.class, name = "read-planned"),
    @JsonSubTypes.Type(value = TailResult.class, name = "tail-result"),
    @JsonSubTypes.Type(value = Failed.class, name = "failed")
  })
  public sealed interface Reply extends EngineSerializable
      permits AppendReply, ReadReply, TailReply {}

  /** The answer to an append: its outcome (an ack or a rejection), or a failure. */
  public sealed interface AppendReply extends Reply permits AppendResult, Failed {}

  /** The outcome of an append: acknowledged, or rejected (412). */
  public record AppendResult(AppendOutcome outcome) implements AppendReply {}

  /**
   * The answer to a read: an outcome ready now (416, empty, or a live batch), a plan to fetch, or a
   * failure.
   */
  public sealed interface ReadReply extends Reply permits ReadResult, ReadPlanned, Failed {}

  /** A read answered by the entity itself. */
  public record ReadResult(ReadOutcome outcome) implements ReadReply {}

  /** A catch-up read: the caller executes the plan outside the entity. */
  public record ReadPlanned(ReadPlan plan) implements ReadReply {}

  /** The answer to a check tail: the durable tail, or a failure. */
  public sealed interface TailReply extends Reply permits TailResult, Failed {}

  /** The durable tail. */
  public record TailResult(StreamPosition tail) implements TailReply {}

  /** A request failed with {@code code}; the caller sees it as an {@code S2Exception}. */
  public record Failed(ErrorCode code, String message)
      implements AppendReply, ReadReply, TailReply {}

  // Tail feeds (read/TailFeeds): one subscription per stream and node, pushed every durable batch.

  /**
   * Subscribes {@code subscriber} to the stream's durable records: the entity answers {@link
   * FeedStarted} with its durable tail, then sends {@link FeedRecords} for every batch that becomes
   * durable after it, in log order, until {@link FeedEnded} (the entity stops, moves or is erased)
   * or an {@link Unsubscribe}, at most {@code window} metered bytes ahead of its last {@link
   * FeedAck} (see there). Not a {@link Request}: an entity that refuses requests ignores it, and
   * the subscriber gives up after its own timeout.
   */
  public record Subscribe(
      String streamId, long subscription, ActorRef<FeedEvent> subscriber, long window)
      implements Command, EngineSerializable {}

  /**
   * Flow control of a subscription: the subscriber has handled pushes of {@code bytes} metered
   * bytes in all since it subscribed. The entity pushes at most {@code window} (of {@link
   * Subscribe}) bytes beyond the last acknowledged; a subscriber further behind (a slow or remote
   * node on a congested link) is sent {@link FeedEnded} instead of more records, so nothing is
   * buffered for it without bound and no writer waits for it. Sent to the entity's own ref.
   */
  public record FeedAck(ActorRef<FeedEvent> subscriber, long subscription, long bytes)
      implements Command, EngineSerializable {}

  /**
   * Ends subscription {@code subscription} of {@code subscriber} (sent to the entity's own ref, not
   * sharding). It does nothing when the subscriber has subscribed again since: an unsubscribe sent
   * directly may overtake or trail a new {@link Subscribe} sent through sharding, and must not end
   * the newer subscription.
   */
  public record Unsubscribe(ActorRef<FeedEvent> subscriber, long subscription)
      implements Command, EngineSerializable {}

  /** What a stream entity pushes to a tail-feed subscriber; {@code subscription} is its id. */
  public sealed interface FeedEvent extends EngineSerializable
      permits FeedStarted, FeedRecords, FeedEnded {
    String streamId();

    long subscription();
  }

  /** The subscription is live from durable {@code tail} on; {@code entity} is the entity's ref. */
  public record FeedStarted(
      String streamId, long subscription, ActorRef<Command> entity, StreamPosition tail)
      implements FeedEvent {}

  /** {@code records} became durable (contiguous, from the previous tail), up to {@code tail}. */
  public record FeedRecords(
      String streamId, long subscription, List<SequencedRecord> records, StreamPosition tail)
      implements FeedEvent {
    public FeedRecords {
      records = List.copyOf(records);
    }
  }

  /**
   * The entity stops pushing (draining, erased, superseded, stopped, or the subscriber fell a
   * window behind).
   */
  public record FeedEnded(String streamId, long subscription) implements FeedEvent {}

  /** Graceful stop (sharding's stop message: passivation and handoff). */
  public record Passivate() implements Command, EngineSerializable {}

  /** Graceful stop asked by {@link DataPlane#stop()}; replies when sealed and stopped. */
  public record Shutdown(ActorRef<Done> replyTo) implements Command, EngineSerializable {}

  /** The stream was deleted: stop without flushing or sealing. */
  public record Erase(ActorRef<Done> replyTo) implements Command, EngineSerializable {}

  // Node-local messages (never sent through sharding; see CrossNodeSerializationTest).

  record Loaded(StreamRecovery.Recovered recovered) implements Command {}

  record LoadFailed(Throwable error) implements Command {}

  record ChannelAnswer(Channel.Result result) implements Command {}

  record ChannelStopped(String channelId) implements Command {}

  record ChannelAssigned(Channel.Registered registered) implements Command {}

  record ChannelAssignFailed(Throwable error) implements Command {}

  record StreamletCreated(Channel.Registered registered, long epoch, boolean won)
      implements Command {}

  record StreamletCreateFailed(Channel.Registered registered, long epoch, Throwable error)
      implements Command {}

  record StreamletsReread(
      Channel.Registered registered, long epoch, Throwable error, List<StreamletRecord> found)
      implements Command {}

  /** A seal's outcome: applied, refused (a newer activation exists), or failed ({@code error}). */
  record StreamletSealed(boolean applied, Throwable error) implements Command {}

  /** A segment flush's outcome. */
  record FlushDone(SegmentFlusher.Result result) implements Command {}

  record Tick() implements Command {}

  record WaitExpired(long waiterId) implements Command {}

  /** A tail-feed subscriber stopped (its node left, or it stopped). */
  record SubscriberGone(ActorRef<FeedEvent> subscriber) implements Command {}

  record TombstoneWritten(ActorRef<Done> replyTo, boolean applied, Throwable error)
      implements Command {}

  /** Everything an entity needs from its node. */
  public record Deps(
      ObjectStore objects,
      MetadataStore metadata,
      ActorRef<ChannelSupervisor.Command> channels,
      EngineSettings settings,
      EngineMetrics metrics,
      Clock clock,
      ConcurrentMap<String, ActorRef<Command>> localEntities,
      WalChunkCache walChunks,
      WalHorizon walHorizon,
      DamageReport damage) {}

  public static Behavior<Command> create(
      String streamId, ActorRef<ClusterSharding.ShardCommand> shard, Deps deps) {
    return ActorSetup.withStashAndTimers(
        10_000,
        (ctx, stash, timers) -> new Instance(streamId, shard, deps, ctx, stash, timers).idle());
  }

  /**
   * One incarnation of the entity: what its states share (its stream, dependencies, actor context,
   * stash and timers), the states before it is loaded (idle, loading) and the states it ends in
   * (erasing, erased, stopping). Once loaded it is an {@link ActiveStream}.
   */
  static final class Instance {
    final String streamId;
    final Deps deps;
    final ActorContext<Command> ctx;
    final WaitingRequests waiting;
    final TimerScheduler<Command> timers;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private boolean passivationRequested;

    /** When the current activation began loading and when it was loaded (clock ms). */
    long activationStartedMillis;

    long loadedMillis;

    /** Releases what the loaded stream holds when the entity stops. */
    private Runnable onStop = () -> {};

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
      this.waiting = new WaitingRequests(stash);
      this.timers = timers;
      deps.localEntities().put(streamId, ctx.getSelf());
    }

    Logger log() {
      return ctx.getLog();
    }

    long now() {
      return deps.clock().millis();
    }

    // ---------------------------------------------------------------- idle and loading

    Behavior<Command> idle() {
      return Behaviors.receive(Command.class)
          .onMessage(Erase.class, m -> erasing(m.replyTo()))
          .onMessage(Shutdown.class, this::stopAnswering)
          .onMessage(Passivate.class, m -> stopNow())
          .onAnyMessage(
              m -> {
                waiting.stash(m);
                return loading();
              })
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Command> loading() {
      deps.metrics().activations.increment();
      activationStartedMillis = now();
      ctx.pipeToSelf(
          new StreamRecovery(
                  deps.objects(),
                  deps.metadata(),
                  deps.walChunks(),
                  deps.settings().maxChunkWritesInFlight(),
                  deps.walHorizon(),
                  deps.damage())
              .recover(streamId),
          (r, err) -> err == null ? new Loaded(r) : new LoadFailed(unwrap(err)));
      return Behaviors.receive(Command.class)
          .onMessage(Loaded.class, this::onLoaded)
          .onMessage(LoadFailed.class, this::onLoadFailed)
          .onMessage(Erase.class, m -> erasing(m.replyTo()))
          .onAnyMessage(
              m -> {
                waiting.stashOrReject(m);
                return Behaviors.same();
              })
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Command> onLoaded(Loaded m) {
      StreamRecovery.Recovered r = m.recovered();
      deps.damage().clear(DamageReport.Kind.STREAM, streamId);
      loadedMillis = now();
      ActiveStream active = new ActiveStream(this, r);
      onStop = active::stopped;
      timers.startTimerWithFixedDelay("tick", new Tick(), tickInterval());
      log()
          .debug(
              "Stream {} activated at tail {} (flushed {}, epoch {}).",
              streamId,
              r.state().nextSeqNum(),
              r.flushedNextSeqNum(),
              r.maxEpoch());
      return waiting.unstashAll(active.active());
    }

    /** How often a loaded entity checks its flush age and idleness. */
    private Duration tickInterval() {
      EngineSettings settings = deps.settings();
      long ms =
          Math.min(settings.segmentFlushAge().toMillis(), settings.passivationIdleTime().toMillis())
              / 4;
      return Duration.ofMillis(Math.max(20, Math.min(5000, ms)));
    }

    private Behavior<Command> onLoadFailed(LoadFailed m) {
      if (m.error() instanceof S2Exception e && e.code() == ErrorCode.STREAM_NOT_FOUND) {
        log().debug("Stream {} was erased; it stays erased.", streamId);
        return erased();
      }
      if (m.error() instanceof S2Exception e && e.code() == ErrorCode.DATA_LOSS) {
        // Damage does not heal by retrying: every waiting request learns what is wrong, and the
        // next request activates again (finding the damage again, or the repaired WAL).
        deps.damage().report(DamageReport.Kind.STREAM, streamId, e.getMessage());
        return damaged(e.getMessage());
      }
      log().error("Stream {} could not be activated: {}", streamId, m.error().toString());
      waiting.failAll(ErrorCode.UNAVAILABLE, "stream could not be activated; retry");
      if (m.error() instanceof IllegalStateException ise) {
        throw ise;
      }
      return stopNow();
    }

    /**
     * Recovery met damage it must not seal over: every request is refused with {@code data_loss}
     * (naming the damage) while the entity passivates through the shard; the next request activates
     * it again, so a repaired WAL is picked up without a restart.
     */
    private Behavior<Command> damaged(String message) {
      waiting.failAll(ErrorCode.DATA_LOSS, message);
      if (shard == null) {
        return stopNow();
      }
      requestPassivation();
      return refusing(
          Behaviors.receive(Command.class)
              .onMessage(Passivate.class, m -> stopNow())
              .onMessage(Shutdown.class, this::stopAnswering)
              .onMessage(Erase.class, m -> erasing(m.replyTo())),
          ErrorCode.DATA_LOSS,
          message);
    }

    // ---------------------------------------------------------------- ending

    /**
     * Writes the stream's tombstone (after any flush of this entity has landed, so nothing it
     * writes can follow), then answers the erase. From then on no activation of this stream id
     * accepts anything: requests that still reach it (resolved before the delete) get {@code
     * stream_not_found} and write nothing. If the tombstone cannot be written the erase is not
     * answered (the caller times out and retries).
     */
    Behavior<Command> erasing(ActorRef<Done> replyTo) {
      waiting.failAll(ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
      ctx.pipeToSelf(
          deps.metadata().putStreamState(StreamRecovery.tombstone(streamId)),
          (ok, err) ->
              new TombstoneWritten(replyTo, err == null && ok, err == null ? null : unwrap(err)));
      return refusing(
          Behaviors.receive(Command.class)
              .onMessage(TombstoneWritten.class, this::onTombstoneWritten)
              .onMessage(Erase.class, m -> Behaviors.same())
              .onMessage(Passivate.class, m -> Behaviors.same()),
          ErrorCode.STREAM_NOT_FOUND,
          "stream was deleted");
    }

    private Behavior<Command> onTombstoneWritten(TombstoneWritten m) {
      if (m.error() != null || !m.applied()) {
        log()
            .warn(
                "Stream {}: its tombstone could not be written: {}",
                streamId,
                m.error() != null ? m.error().toString() : "the store refused it");
        return passivateAndStop();
      }
      m.replyTo().tell(Done.getInstance());
      return erased();
    }

    /** The stream id is erased: every request is answered 404 until the entity passivates. */
    private Behavior<Command> erased() {
      waiting.failAll(ErrorCode.STREAM_NOT_FOUND, "stream was deleted");
      requestPassivation();
      return refusing(
          Behaviors.receive(Command.class)
              .onMessage(Passivate.class, m -> stopNow())
              .onMessage(Shutdown.class, this::stopAnswering)
              .onMessage(
                  Erase.class,
                  m -> {
                    m.replyTo().tell(Done.getInstance());
                    return Behaviors.same();
                  }),
          ErrorCode.STREAM_NOT_FOUND,
          "stream was deleted");
    }

    /**
     * Stops through the shard (so that requests meanwhile are buffered for the next activation
     * rather than lost on a dead entity); until then requests are refused retryably.
     */
    Behavior<Command> passivateAndStop() {
      if (shard == null) {
        return stopNow();
      }
      passivationRequested = true;
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      waiting.failAll(ErrorCode.UNAVAILABLE, "stream is restarting; retry");
      return refusing(
          Behaviors.receive(Command.class)
              .onMessage(Passivate.class, m -> stopNow())
              .onMessage(Erase.class, m -> erasing(m.replyTo())),
          ErrorCode.UNAVAILABLE,
          "stream is restarting; retry");
    }

    /** A state that handles {@code handled} and fails every other request with {@code code}. */
    private Behavior<Command> refusing(
        BehaviorBuilder<Command> handled, ErrorCode code, String message) {
      return handled
          .onAnyMessage(
              m -> {
                WaitingRequests.refuse(m, code, message);
                return Behaviors.same();
              })
          .onSignal(PostStop.class, sig -> onPostStop())
          .build();
    }

    /** Asks the shard to passivate this entity, once. */
    void requestPassivation() {
      if (shard != null && !passivationRequested) {
        passivationRequested = true;
        shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      }
    }

    boolean passivationRequested() {
      return passivationRequested;
    }

    private Behavior<Command> stopAnswering(Shutdown m) {
      m.replyTo().tell(Done.getInstance());
      return stopNow();
    }

    Behavior<Command> stopNow() {
      return Behaviors.stopped();
    }

    Behavior<Command> onPostStop() {
      deps.localEntities().remove(streamId, ctx.getSelf());
      onStop.run();
      waiting.failAll(ErrorCode.UNAVAILABLE, "stream stopped; retry");
      return Behaviors.same();
    }
  }
}
