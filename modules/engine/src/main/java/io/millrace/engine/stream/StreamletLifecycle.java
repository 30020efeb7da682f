package io.millrace.engine.stream;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.config.StorageClass;
import io.millrace.engine.stream.StreamEntity.ChannelAssignFailed;
import io.millrace.engine.stream.StreamEntity.ChannelAssigned;
import io.millrace.engine.stream.StreamEntity.ChannelStopped;
import io.millrace.engine.stream.StreamEntity.Command;
import io.millrace.engine.stream.StreamEntity.StreamletCreateFailed;
import io.millrace.engine.stream.StreamEntity.StreamletCreated;
import io.millrace.engine.stream.StreamEntity.StreamletSealed;
import io.millrace.engine.stream.StreamEntity.StreamletsReread;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.ChannelLoad;
import io.millrace.engine.wal.ChannelSupervisor;
import io.millrace.metadata.StreamletRecord;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.event.Level;

/**
 * The streamlets of one stream entity (architecture section 5): which one is open, the highest
 * epoch any activation used, and the two states in which the entity waits for one: opening (acquire
 * a channel, create the streamlet row at epoch + 1 with create-if-absent) and sealing (write the
 * streamlet's sealed tail and last chunk). The decisions, where the outcome of a step leads, are
 * plain methods; the {@link Owner} (the active entity) says what the entity does next.
 */
final class StreamletLifecycle {

  /** An open streamlet: its epoch and the channel its appends go to. */
  record Streamlet(
      long epoch,
      String channelId,
      ActorRef<Channel.Command> channel,
      ChannelLoad load,
      long firstChunkSeq) {}

  /** What the entity does when a streamlet step ends. */
  interface Owner {
    /** A streamlet is open: appends proceed. */
    Behavior<Command> opened();

    /** No streamlet could be opened; stashed appends fail with {@code why}. */
    Behavior<Command> notOpened(String why);

    /** The streamlet is sealed at the durable tail. */
    Behavior<Command> sealed();

    /** The seal could not be written: failed appends may be durable; the entity stops. */
    Behavior<Command> sealFailed();

    /** A newer activation refused {@code refused} (a sentence). */
    Behavior<Command> superseded(String refused);

    /** Adds what the entity handles in every waiting state (flushes, timers, stop, stash). */
    BehaviorBuilder<Command> whileWaiting(BehaviorBuilder<Command> b);
  }

  /** How creating a streamlet row ended. */
  sealed interface Creation permits Opened, Superseded, NotOpened {}

  record Opened(Streamlet streamlet) implements Creation {}

  record Superseded(String refused) implements Creation {}

  record NotOpened() implements Creation {}

  /** Where a seal is written: the epoch, the durable tail's seq num and the last durable chunk. */
  record SealPoint(long epoch, long nextSeqNum, long lastChunk) {}

  private final StreamEntity.Instance entity;
  private final Owner owner;
  private long maxEpoch;
  private Streamlet current;
  private long lastDurableChunk = -1;

  /** The channel load counted for an assignment that has no streamlet yet. */
  private ChannelLoad assignedLoad;

  /**
   * Rotate the open streamlet at the first segment flush after this many bytes (metered) became
   * durable in it; 0: at every flush (docs/adr/0013).
   */
  private final long rotationBytes;

  /** Metered bytes of the appends that became durable in the open streamlet. */
  private long durableBytes;

  /** A segment flush succeeded: rotate the streamlet as soon as no append is in flight. */
  private boolean rotateWanted;

  StreamletLifecycle(StreamEntity.Instance entity, Owner owner, long maxEpoch, long rotationBytes) {
    this.entity = entity;
    this.owner = owner;
    this.maxEpoch = maxEpoch;
    this.rotationBytes = rotationBytes;
  }

  /** The open streamlet, or null. */
  Streamlet current() {
    return current;
  }

  /** The epoch this instance writes at: the open streamlet's, else the highest known. */
  long epoch() {
    return current != null ? current.epoch() : maxEpoch;
  }

  /** Whether the open streamlet's channel is dead. */
  boolean channelDead() {
    return current != null && current.load().isDead();
  }

  /** Whether {@code channelId} is the open streamlet's channel. */
  boolean isCurrent(String channelId) {
    return current != null && current.channelId().equals(channelId);
  }

  /** An append of {@code bytes} (metered) is durable in chunk {@code chunkSeq} of the streamlet. */
  void durable(long chunkSeq, long bytes) {
    lastDurableChunk = Math.max(lastDurableChunk, chunkSeq);
    durableBytes += bytes;
  }

  /**
   * A segment flush moved the flushed position: rotate the open streamlet, if any, once it holds at
   * least the rotation bytes, so that recovery never replays much more than that of its WAL. Below
   * that the streamlet stays open and the append pipeline keeps flowing (docs/adr/0013).
   */
  void flushed() {
    rotateWanted = current != null && durableBytes >= rotationBytes;
  }

  /** Whether a segment flush asked for a rotation that has not started yet. */
  boolean rotateWanted() {
    return rotateWanted;
  }

  /** The rotation starts (or is given up, with no streamlet open). */
  void rotationStarted() {
    rotateWanted = false;
  }

  /** Where the open streamlet is sealed when the durable tail is {@code durableNext}. */
  SealPoint sealPoint(long durableNext) {
    long lastChunk = lastDurableChunk < 0 ? current.firstChunkSeq() - 1 : lastDurableChunk;
    return new SealPoint(current.epoch(), durableNext, lastChunk);
  }

  /** The entity stops using its streamlet (sealed, or the entity stops): its channel forgets it. */
  void release(boolean unwatch) {
    if (current != null) {
      if (unwatch) {
        entity.ctx.unwatch(current.channel());
      }
      current.load().streamReleased();
      current = null;
      lastDurableChunk = -1;
      durableBytes = 0;
      rotateWanted = false;
    }
  }

  /** An assignment without a streamlet is given up. */
  void releaseAssignedLoad() {
    if (assignedLoad != null) {
      assignedLoad.streamReleased();
      assignedLoad = null;
    }
  }

  // ---------------------------------------------------------------- decisions

  /** A channel was assigned for epoch {@link #nextEpoch()}; the stream now counts on it. */
  void assigned(Channel.Registered reg) {
    // The stream counts on the channel only once the entity holds the assignment: a Registered
    // that arrives after the ask timed out is never counted.
    reg.load().streamAssigned();
    assignedLoad = reg.load();
  }

  long nextEpoch() {
    return maxEpoch + 1;
  }

  /** Creating epoch {@code epoch} failed: it may have been applied, so it is never reused. */
  void createFailed(long epoch) {
    maxEpoch = Math.max(maxEpoch, epoch);
  }

  /** The create-if-absent of epoch {@code epoch} on {@code reg} answered {@code won}. */
  Creation created(Channel.Registered reg, long epoch, boolean won) {
    maxEpoch = Math.max(maxEpoch, epoch);
    if (!won) {
      return new Superseded("creating epoch " + epoch);
    }
    assignedLoad = null; // now held by the streamlet
    current = new Streamlet(epoch, reg.channelId(), reg.channel(), reg.load(), reg.firstChunkSeq());
    lastDurableChunk = -1;
    durableBytes = 0;
    return new Opened(current);
  }

  /**
   * After a failed create of {@code epoch}, the streamlets {@code found} (null if the re-read
   * failed too): the row is ours if it is there as we meant to write it; another owner's if any
   * epoch at or above it exists; else nothing was opened.
   */
  Creation reread(Channel.Registered reg, long epoch, List<StreamletRecord> found) {
    boolean ours =
        found != null
            && found.stream()
                .anyMatch(
                    l ->
                        l.epoch() == epoch
                            && l.sealedNextSeqNum() == null
                            && reg.channelId().equals(l.channelId())
                            && l.firstChunkSeq() == reg.firstChunkSeq());
    if (ours) {
      return created(reg, epoch, true);
    }
    long highest = -1;
    if (found != null) {
      for (StreamletRecord l : found) {
        highest = Math.max(highest, l.epoch());
      }
    }
    if (highest >= epoch) {
      // Another activation holds this epoch or a higher one: never adopt its epoch (a later state
      // write at it would pass the fence); stop and let a fresh activation recover.
      return new Superseded(
          "creating epoch " + epoch + " (another owner holds epoch " + highest + ")");
    }
    maxEpoch = Math.max(maxEpoch, highest);
    releaseAssignedLoad();
    return new NotOpened();
  }

  // ---------------------------------------------------------------- opening

  /** Acquires a channel and registers a new streamlet (epoch + 1); appends wait meanwhile. */
  Behavior<Command> open(StorageClass storageClass) {
    StreamEntity.Deps deps = entity.deps;
    entity.ctx.ask(
        Channel.Registered.class,
        deps.channels(),
        deps.settings().askTimeout(),
        (ActorRef<Channel.Registered> ref) ->
            new ChannelSupervisor.Acquire(entity.streamId, storageClass, ref),
        (reg, err) -> err == null ? new ChannelAssigned(reg) : new ChannelAssignFailed(err));
    return owner
        .whileWaiting(
            Behaviors.receive(Command.class)
                .onMessage(ChannelAssigned.class, this::onChannelAssigned)
                .onMessage(StreamletCreateFailed.class, this::onCreateFailed)
                .onMessage(StreamletsReread.class, this::onReread)
                .onMessage(StreamletCreated.class, this::onCreated)
                .onMessage(ChannelAssignFailed.class, this::onAssignFailed))
        .build();
  }

  private Behavior<Command> onChannelAssigned(ChannelAssigned m) {
    long epoch = nextEpoch();
    Channel.Registered reg = m.registered();
    assigned(reg);
    entity.ctx.pipeToSelf(
        entity
            .deps
            .metadata()
            .createStreamlet(
                new StreamletRecord(
                    entity.streamId, epoch, reg.channelId(), reg.firstChunkSeq(), null, null)),
        (won, err) ->
            err == null
                ? new StreamletCreated(reg, epoch, won)
                : new StreamletCreateFailed(reg, epoch, unwrap(err)));
    return Behaviors.same();
  }

  private Behavior<Command> onCreateFailed(StreamletCreateFailed m) {
    // The insert may have been applied: whatever happens next, never reuse this epoch, and look
    // whether the row is there (then it is ours).
    createFailed(m.epoch());
    entity.ctx.pipeToSelf(
        entity.deps.metadata().listStreamlets(entity.streamId),
        (found, err) -> new StreamletsReread(m.registered(), m.epoch(), m.error(), found));
    return Behaviors.same();
  }

  private Behavior<Command> onReread(StreamletsReread m) {
    Creation c = reread(m.registered(), m.epoch(), m.found());
    if (c instanceof Opened) {
      entity
          .log()
          .info(
              "Stream {}: creating epoch {} reported {} but the row was written; it is ours.",
              entity.streamId,
              m.epoch(),
              m.error().toString());
    } else if (c instanceof NotOpened) {
      entity
          .log()
          .warn(
              "Stream {} could not open epoch {}: {}",
              entity.streamId,
              m.epoch(),
              m.error().toString());
      return owner.notOpened("could not open a streamlet; retry");
    }
    return next(c);
  }

  private Behavior<Command> onCreated(StreamletCreated m) {
    return next(created(m.registered(), m.epoch(), m.won()));
  }

  private Behavior<Command> onAssignFailed(ChannelAssignFailed m) {
    entity
        .log()
        .warn("Stream {} could not open a streamlet: {}", entity.streamId, m.error().toString());
    return owner.notOpened("no channel available; retry");
  }

  private Behavior<Command> next(Creation c) {
    if (c instanceof Superseded s) {
      return owner.superseded(s.refused());
    }
    Streamlet s = ((Opened) c).streamlet();
    entity.ctx.watchWith(s.channel(), new ChannelStopped(s.channelId()));
    entity
        .log()
        .debug(
            "Stream {} opened epoch {} on channel {} at chunk {}.",
            entity.streamId,
            s.epoch(),
            s.channelId(),
            s.firstChunkSeq());
    return owner.opened();
  }

  // ---------------------------------------------------------------- sealing

  /**
   * Seals the open streamlet at the durable tail {@code durableNext}; appends wait until it is
   * done. {@code quietly}: logged at debug (the entity is stopping), else at info.
   */
  Behavior<Command> seal(String why, long durableNext, boolean quietly) {
    SealPoint at = sealPoint(durableNext);
    entity
        .log()
        .atLevel(quietly ? Level.DEBUG : Level.INFO)
        .log(
            "Stream {} seals epoch {} at seq num {} (last chunk {}) because {}.",
            entity.streamId,
            at.epoch(),
            at.nextSeqNum(),
            at.lastChunk(),
            why);
    entity.ctx.pipeToSelf(
        entity
            .deps
            .metadata()
            .sealStreamlet(entity.streamId, at.epoch(), at.nextSeqNum(), at.lastChunk()),
        (ok, err) -> new StreamletSealed(err == null && ok, err == null ? null : unwrap(err)));
    return owner
        .whileWaiting(
            Behaviors.receive(Command.class).onMessage(StreamletSealed.class, m -> onSealed(m, at)))
        .build();
  }

  private Behavior<Command> onSealed(StreamletSealed m, SealPoint at) {
    if (m.error() != null) {
      entity
          .log()
          .error(
              "Stream {} epoch {} could not seal its streamlet at {}; it stops: {}",
              entity.streamId,
              at.epoch(),
              at.nextSeqNum(),
              m.error().toString());
      return owner.sealFailed();
    }
    if (!m.applied()) {
      return owner.superseded("sealing epoch " + at.epoch() + " at seq num " + at.nextSeqNum());
    }
    release(true);
    return owner.sealed();
  }
}
