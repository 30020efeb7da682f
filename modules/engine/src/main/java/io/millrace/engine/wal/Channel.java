package io.millrace.engine.wal;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StorageClass;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One channel incarnation: batches the appends of many streams into WAL chunks written to {@code
 * wal/<channel-id>/<chunk-seq, 20 digits>} with create-only puts (architecture section 2, steps 3
 * and 4).
 *
 * <p>The open chunk is closed when it reaches {@code chunk-max-bytes}, when {@code flush-interval}
 * has passed since its first append, or at once when no chunk write is in flight (group commit). Up
 * to {@code max-chunk-writes-in-flight} writes run at once; durability is reported strictly in
 * chunk order. A write that finds its key taken (the WAL was sealed by a recovering owner) or that
 * keeps failing kills the incarnation: every unacknowledged append fails with a retryable {@code
 * storage} error and the actor stops; its supervisor starts a new incarnation with a new id.
 */
public final class Channel {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Channel.class);

  private Channel() {}

  /** Messages of a channel. */
  public sealed interface Command {}

  /** Assigns a stream to this channel; replies with the first chunk seq its appends can land in. */
  public record Register(String streamId, ActorRef<Registered> replyTo) implements Command {}

  /** The channel a stream was assigned. */
  public record Registered(
      String channelId, ActorRef<Command> channel, long firstChunkSeq, ChannelLoad load) {}

  /** Appends one sequenced batch of a stream; the answer goes to {@code replyTo}. */
  public record Append(
      String streamId,
      long epoch,
      long batchId,
      List<SequencedRecord> records,
      long bytes,
      ActorRef<Result> replyTo)
      implements Command {}

  /** The answer to an append. */
  public sealed interface Result {
    String channelId();

    long batchId();
  }

  /** The batch is durable in chunk {@code chunkSeq} (and every lower chunk is durable). */
  public record Durable(String channelId, long batchId, long chunkSeq) implements Result {}

  /** The batch was not written; the channel incarnation is dead. */
  public record Failed(String channelId, long batchId, S2Exception error) implements Result {}

  private record Started() implements Command {}

  private record StartFailed(Throwable error) implements Command {}

  private record FlushTimer(long openId) implements Command {}

  private record WriteDone(long chunkSeq, long nanos) implements Command {}

  private record WriteFailed(long chunkSeq, Throwable error) implements Command {}

  private record Verified(long chunkSeq, Optional<byte[]> existing) implements Command {}

  private record RetryWrite(long chunkSeq) implements Command {}

  private record SealResult(long chunkSeq, Throwable error) implements Command {}

  private record SealCheck(long chunkSeq, Optional<byte[]> existing) implements Command {}

  private record RetrySeal() implements Command {}

  /** Key of a WAL object. */
  public static String walKey(String channelId, long chunkSeq) {
    return WalChunkCodec.objectKey(channelId, chunkSeq);
  }

  /** Prefix of all WAL objects of a channel incarnation. */
  public static String walPrefix(String channelId) {
    return "wal/" + channelId + "/";
  }

  public static Behavior<Command> create(
      StorageClass storageClass,
      String node,
      ObjectStore objects,
      MetadataStore metadata,
      EngineSettings settings,
      EngineMetrics metrics,
      Clock clock,
      ChannelLoad load,
      java.util.function.Consumer<StorageClass> onStarted) {
    return Behaviors.withStash(
        10_000,
        stash ->
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers ->
                            new Instance(
                                    ctx,
                                    stash,
                                    timers,
                                    UUID.randomUUID().toString(),
                                    storageClass,
                                    node,
                                    objects,
                                    metadata,
                                    settings,
                                    metrics,
                                    clock,
                                    load,
                                    onStarted)
                                .starting())));
  }

  private static final class ChunkWrite {
    final long seq;
    final byte[] data;
    final List<Append> appends;
    final long bytes;
    final long startNanos = System.nanoTime();
    int attempts;
    boolean done;

    ChunkWrite(long seq, byte[] data, List<Append> appends, long bytes) {
      this.seq = seq;
      this.data = data;
      this.appends = appends;
      this.bytes = bytes;
    }
  }

  private static final class Instance {
    private final ActorContext<Command> ctx;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final String channelId;
    private final StorageClass storageClass;
    private final String node;
    private final ObjectStore objects;
    private final MetadataStore metadata;
    private final EngineSettings settings;
    private final EngineMetrics metrics;
    private final Clock clock;
    private final ChannelLoad load;
    private final java.util.function.Consumer<StorageClass> onStarted;

    private long nextChunkSeq;
    private List<Append> open = new ArrayList<>();
    private long openBytes;
    private long openId;
    private boolean flushTimerArmed;
    private final TreeMap<Long, ChunkWrite> inFlight = new TreeMap<>();

    Instance(
        ActorContext<Command> ctx,
        StashBuffer<Command> stash,
        TimerScheduler<Command> timers,
        String channelId,
        StorageClass storageClass,
        String node,
        ObjectStore objects,
        MetadataStore metadata,
        EngineSettings settings,
        EngineMetrics metrics,
        Clock clock,
        ChannelLoad load,
        java.util.function.Consumer<StorageClass> onStarted) {
      this.onStarted = onStarted;
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.channelId = channelId;
      this.storageClass = storageClass;
      this.node = node;
      this.objects = objects;
      this.metadata = metadata;
      this.settings = settings;
      this.metrics = metrics;
      this.clock = clock;
      this.load = load;
    }

    Behavior<Command> starting() {
      metrics.channelIncarnations.increment();
      ctx.pipeToSelf(
          metadata.putChannel(
              new ChannelRecord(channelId, node, storageClass.wire(), clock.instant(), null)),
          (ok, err) -> err == null ? new Started() : new StartFailed(err));
      return Behaviors.receive(Command.class)
          .onMessage(
              Started.class,
              m -> {
                ctx.getLog()
                    .info("Channel {} ({}) started on node {}.", channelId, storageClass, node);
                onStarted.accept(storageClass);
                return stash.unstashAll(active());
              })
          .onMessage(
              StartFailed.class,
              m -> {
                ctx.getLog()
                    .warn(
                        "Channel {} could not register in metadata; stopping: {}",
                        channelId,
                        m.error().toString());
                return die(new S2Exception(ErrorCode.UNAVAILABLE, "channel could not start"));
              })
          .onAnyMessage(
              m -> {
                stash.stash(m);
                return Behaviors.same();
              })
          .build();
    }

    Behavior<Command> active() {
      return Behaviors.receive(Command.class)
          .onMessage(Register.class, this::onRegister)
          .onMessage(Append.class, this::onAppend)
          .onMessage(FlushTimer.class, this::onFlushTimer)
          .onMessage(WriteDone.class, this::onWriteDone)
          .onMessage(WriteFailed.class, this::onWriteFailed)
          .onMessage(Verified.class, this::onVerified)
          .onMessage(RetryWrite.class, this::onRetryWrite)
          .build();
    }

    private Behavior<Command> onRegister(Register m) {
      // The stream entity counts itself on the load when it gets the answer (a late answer to an
      // ask that timed out must not count).
      m.replyTo().tell(new Registered(channelId, ctx.getSelf(), nextChunkSeq, load));
      return Behaviors.same();
    }

    private Behavior<Command> onAppend(Append m) {
      open.add(m);
      openBytes += m.bytes();
      load.addPending(m.bytes());
      maybeClose();
      return Behaviors.same();
    }

    private Behavior<Command> onFlushTimer(FlushTimer m) {
      if (m.openId() == openId) {
        flushTimerArmed = false;
        if (!open.isEmpty() && inFlight.size() < settings.maxChunkWritesInFlight()) {
          closeOpenChunk();
        }
      }
      return Behaviors.same();
    }

    /** Applies the closing policy to the open chunk. */
    private void maybeClose() {
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
        timers.startSingleTimer(new FlushTimer(openId), settings.flushInterval());
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
      // A chunk holds one epoch per stream. If an older activation's appends are still here when a
      // newer one of the same stream appends (the old owner died, the new one took over), the
      // older epoch's appends fail: its owner is gone and recovery would not trust them anyway.
      Map<String, Long> epochs = new LinkedHashMap<>();
      for (Append a : appends) {
        epochs.merge(a.streamId(), a.epoch(), Math::max);
      }
      List<Append> kept = new ArrayList<>(appends.size());
      for (Append a : appends) {
        if (a.epoch() < epochs.get(a.streamId())) {
          LOG.warn(
              "Channel {} chunk {}: stream {} epoch {} was superseded by epoch {}; its batch {}"
                  + " fails.",
              channelId,
              seq,
              a.streamId(),
              a.epoch(),
              epochs.get(a.streamId()),
              a.batchId());
          a.replyTo()
              .tell(
                  new Failed(
                      channelId,
                      a.batchId(),
                      new S2Exception(
                          ErrorCode.STORAGE, "stream moved to a newer activation; retry")));
          bytes -= a.bytes();
          load.addPending(-a.bytes());
        } else {
          kept.add(a);
        }
      }
      appends = kept;
      Map<String, List<SequencedRecord>> byStream = new LinkedHashMap<>();
      for (Append a : appends) {
        byStream.computeIfAbsent(a.streamId(), k -> new ArrayList<>()).addAll(a.records());
      }
      List<StreamSection> sections = new ArrayList<>(byStream.size());
      byStream.forEach((sid, recs) -> sections.add(new StreamSection(sid, epochs.get(sid), recs)));
      byte[] data = WalChunkCodec.encodeChunk(channelId, seq, sections);
      ChunkWrite w = new ChunkWrite(seq, data, appends, bytes);
      inFlight.put(seq, w);
      write(w);
    }

    private void write(ChunkWrite w) {
      w.attempts++;
      long seq = w.seq;
      ctx.pipeToSelf(
          objects.putIfAbsent(walKey(channelId, seq), w.data),
          (ok, err) ->
              err == null
                  ? new WriteDone(seq, System.nanoTime() - w.startNanos)
                  : new WriteFailed(seq, unwrap(err)));
    }

    private Behavior<Command> onWriteDone(WriteDone m) {
      ChunkWrite w = inFlight.get(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      metrics.recordChunkWrite(m.nanos(), w.data.length);
      w.done = true;
      while (!inFlight.isEmpty() && inFlight.firstEntry().getValue().done) {
        ackHead();
      }
      maybeClose();
      return Behaviors.same();
    }

    private Behavior<Command> onWriteFailed(WriteFailed m) {
      ChunkWrite w = inFlight.get(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      if (m.error() instanceof ObjectAlreadyExistsException) {
        // Either our own earlier attempt landed, or a recovering owner sealed the WAL here.
        ctx.pipeToSelf(
            objects.get(walKey(channelId, w.seq)),
            (found, err) ->
                err == null
                    ? new Verified(w.seq, found)
                    : new WriteFailed(w.seq, new RuntimeException("verify failed", err)));
        return Behaviors.same();
      }
      metrics.chunkWriteFailures.increment();
      if (w.attempts <= settings.writeRetries()) {
        Duration backoff = settings.writeRetryBackoff().multipliedBy(1L << (w.attempts - 1));
        ctx.getLog()
            .warn(
                "Channel {} chunk {} write failed (attempt {}), retrying in {}: {}",
                channelId,
                w.seq,
                w.attempts,
                backoff,
                m.error().toString());
        timers.startSingleTimer("retry-" + w.seq, new RetryWrite(w.seq), backoff);
        return Behaviors.same();
      }
      ctx.getLog()
          .error(
              "Channel {} chunk {} write failed {} times; the channel incarnation gives up: {}",
              channelId,
              w.seq,
              w.attempts,
              m.error().toString());
      return settle(
          new S2Exception(
              ErrorCode.STORAGE, "WAL write failed: " + m.error().getMessage(), m.error()));
    }

    private Behavior<Command> onRetryWrite(RetryWrite m) {
      ChunkWrite w = inFlight.get(m.chunkSeq());
      if (w != null) {
        write(w);
      }
      return Behaviors.same();
    }

    private Behavior<Command> onVerified(Verified m) {
      ChunkWrite w = inFlight.get(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      if (m.existing().isPresent() && Arrays.equals(m.existing().get(), w.data)) {
        ctx.getLog()
            .info(
                "Channel {} chunk {} was already written by an earlier attempt.", channelId, w.seq);
        return onWriteDone(new WriteDone(w.seq, System.nanoTime() - w.startNanos));
      }
      ctx.getLog()
          .warn(
              "Channel {} found chunk {} taken by another object; it settles its WAL and stops.",
              channelId,
              w.seq);
      return settle(
          new S2Exception(ErrorCode.STORAGE, "WAL channel " + channelId + " was sealed; retry"));
    }

    // ---------------------------------------------------------------- settling (dying)

    /**
     * The incarnation gives up. Before it answers anything, it makes its WAL final, so that what it
     * acknowledges is exactly what a recovering owner will trust: in chunk order, every chunk known
     * to be written is acknowledged; at the first chunk that is not, a seal is written at that very
     * key (create-only). If the seal lands, that chunk can never appear and it and every later
     * chunk fail; if the key is taken, a GET tells whether it is our chunk (written after all:
     * acknowledge it and go on) or someone else's seal (fail from there). Appends of the open chunk
     * were never written and fail at once.
     */
    private Behavior<Command> settle(S2Exception cause) {
      load.markDead();
      settleCause = cause;
      for (Append a : open) {
        a.replyTo().tell(new Failed(channelId, a.batchId(), cause));
      }
      load.addPending(-openBytes);
      open = new ArrayList<>();
      openBytes = 0;
      return settleNext();
    }

    private S2Exception settleCause;
    private int sealAttempts;

    private Behavior<Command> settleNext() {
      while (!inFlight.isEmpty() && inFlight.firstEntry().getValue().done) {
        ackHead();
      }
      long at = inFlight.isEmpty() ? nextChunkSeq : inFlight.firstKey();
      sealAttempts++;
      ctx.pipeToSelf(
          objects.putIfAbsent(walKey(channelId, at), WalChunkCodec.encodeSeal(channelId, at)),
          (ok, err) -> new SealResult(at, err == null ? null : unwrap(err)));
      return settling();
    }

    private Behavior<Command> settling() {
      return Behaviors.receive(Command.class)
          .onMessage(
              Append.class,
              m -> {
                m.replyTo().tell(new Failed(channelId, m.batchId(), settleCause));
                return Behaviors.same();
              })
          .onMessage(
              WriteDone.class,
              m -> {
                ChunkWrite w = inFlight.get(m.chunkSeq());
                if (w != null) {
                  w.done = true;
                }
                return Behaviors.same();
              })
          .onMessage(SealResult.class, this::onSealResult)
          .onMessage(SealCheck.class, this::onSealCheck)
          .onMessage(RetrySeal.class, m -> settleNext())
          .onAnyMessage(m -> Behaviors.same())
          .build();
    }

    private Behavior<Command> onSealResult(SealResult m) {
      if (m.error() == null) {
        return sealedAt(m.chunkSeq(), "sealed its own WAL");
      }
      if (m.error() instanceof ObjectAlreadyExistsException) {
        ctx.pipeToSelf(
            objects.get(walKey(channelId, m.chunkSeq())),
            (found, err) ->
                err == null
                    ? new SealCheck(m.chunkSeq(), found)
                    : new SealResult(m.chunkSeq(), unwrap(err)));
        return Behaviors.same();
      }
      if (sealAttempts <= settings.writeRetries() + 2) {
        timers.startSingleTimer(
            "retry-seal",
            new RetrySeal(),
            settings.writeRetryBackoff().multipliedBy(1L << Math.min(sealAttempts, 10)));
        return Behaviors.same();
      }
      ctx.getLog()
          .error(
              "Channel {} could not seal its WAL at chunk {} ({}); its unacknowledged appends fail"
                  + " although some may have landed.",
              channelId,
              m.chunkSeq(),
              m.error().toString());
      return die(settleCause);
    }

    private Behavior<Command> onSealCheck(SealCheck m) {
      ChunkWrite w = inFlight.get(m.chunkSeq());
      if (w != null && m.existing().isPresent() && Arrays.equals(m.existing().get(), w.data)) {
        w.done = true;
        sealAttempts = 0;
        return settleNext();
      }
      return sealedAt(m.chunkSeq(), "found its WAL sealed");
    }

    private Behavior<Command> sealedAt(long chunkSeq, String how) {
      ctx.getLog()
          .warn(
              "Channel {} {} at chunk {}; it acknowledged everything below and stops.",
              channelId,
              how,
              chunkSeq);
      String id = channelId;
      metadata
          .sealChannel(channelId, chunkSeq)
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  LOG.warn("Channel {} could not record its seal: {}", id, err.toString());
                }
              });
      return die(settleCause);
    }

    private void ackHead() {
      ChunkWrite d = inFlight.pollFirstEntry().getValue();
      load.addPending(-d.bytes);
      for (Append a : d.appends) {
        a.replyTo().tell(new Durable(channelId, a.batchId(), d.seq));
      }
    }

    /** Fails every unacknowledged append in log order and stops. */
    private Behavior<Command> die(S2Exception error) {
      load.markDead();
      metrics.chunkWriteFailures.increment();
      for (ChunkWrite w : inFlight.values()) {
        for (Append a : w.appends) {
          a.replyTo().tell(new Failed(channelId, a.batchId(), error));
        }
        load.addPending(-w.bytes);
      }
      inFlight.clear();
      for (Append a : open) {
        a.replyTo().tell(new Failed(channelId, a.batchId(), error));
      }
      load.addPending(-openBytes);
      open = new ArrayList<>();
      openBytes = 0;
      stash.forEach(
          m -> {
            if (m instanceof Append a) {
              a.replyTo().tell(new Failed(channelId, a.batchId(), error));
            }
          });
      return Behaviors.stopped();
    }
  }
}
