package io.millrace.engine.wal;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StorageClass;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.ActorSetup;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.wal.ChunkPipeline.ChunkWrite;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.ChannelRecord;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
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
 * keeps failing kills the incarnation: it settles its WAL first ({@link WalSettlement}), then every
 * unacknowledged append fails with a retryable {@code storage} error and the actor stops; its
 * supervisor starts a new incarnation with a new id.
 *
 * <p>The actor does the I/O (create-only puts, read-backs, retries with backoff, timers); the open
 * chunk, the closing policy and the in-order acknowledgement live in {@link ChunkPipeline}.
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
      ChannelDeps deps,
      ChannelLoad load,
      Consumer<StorageClass> onStarted) {
    return ActorSetup.withStashAndTimers(
        10_000,
        (ctx, stash, timers) ->
            new Instance(
                    ctx,
                    stash,
                    timers,
                    UUID.randomUUID().toString(),
                    storageClass,
                    deps,
                    load,
                    onStarted)
                .starting());
  }

  private static final class Instance implements ChunkPipeline.Outbox {
    private final ActorContext<Command> ctx;

    /** Appends that arrived while the WAL was being settled; failed last when it ends. */
    private final List<Append> lateAppends = new ArrayList<>();

    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final String channelId;
    private final StorageClass storageClass;
    private final ChannelDeps deps;
    private final EngineSettings settings;
    private final EngineMetrics metrics;
    private final ChannelLoad load;
    private final Consumer<StorageClass> onStarted;
    private final ChunkPipeline pipeline;
    private WalSettlement settlement;

    Instance(
        ActorContext<Command> ctx,
        StashBuffer<Command> stash,
        TimerScheduler<Command> timers,
        String channelId,
        StorageClass storageClass,
        ChannelDeps deps,
        ChannelLoad load,
        Consumer<StorageClass> onStarted) {
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.channelId = channelId;
      this.storageClass = storageClass;
      this.deps = deps;
      this.settings = deps.settings();
      this.metrics = deps.metrics();
      this.load = load;
      this.onStarted = onStarted;
      this.pipeline = new ChunkPipeline(channelId, settings, load, this);
    }

    Behavior<Command> starting() {
      metrics.channelIncarnations.increment();
      ctx.pipeToSelf(
          deps.metadata()
              .putChannel(
                  new ChannelRecord(
                      channelId, deps.node(), storageClass.wire(), deps.clock().instant(), null)),
          (ok, err) -> err == null ? new Started() : new StartFailed(err));
      return Behaviors.receive(Command.class)
          .onMessage(
              Started.class,
              m -> {
                ctx.getLog()
                    .info(
                        "Channel {} ({}) started on node {}.",
                        channelId,
                        storageClass,
                        deps.node());
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

    // ---------------------------------------------------------------- ChunkPipeline.Outbox

    @Override
    public void reply(Append append, Result result) {
      append.replyTo().tell(result);
    }

    @Override
    public void armFlushTimer(long openId) {
      timers.startSingleTimer(new FlushTimer(openId), settings.flushInterval());
    }

    @Override
    public void write(ChunkWrite w) {
      w.attempts++;
      long seq = w.seq;
      ctx.pipeToSelf(
          deps.objects().putIfAbsent(walKey(channelId, seq), w.data),
          (ok, err) ->
              err == null
                  ? new WriteDone(seq, System.nanoTime() - w.startNanos)
                  : new WriteFailed(seq, unwrap(err)));
    }

    // ---------------------------------------------------------------- active

    private Behavior<Command> onRegister(Register m) {
      // The stream entity counts itself on the load when it gets the answer (a late answer to an
      // ask that timed out must not count).
      m.replyTo().tell(new Registered(channelId, ctx.getSelf(), pipeline.nextChunkSeq(), load));
      return Behaviors.same();
    }

    private Behavior<Command> onAppend(Append m) {
      pipeline.append(m);
      return Behaviors.same();
    }

    private Behavior<Command> onFlushTimer(FlushTimer m) {
      pipeline.flushTimerFired(m.openId());
      return Behaviors.same();
    }

    private Behavior<Command> onWriteDone(WriteDone m) {
      ChunkWrite w = pipeline.inFlight(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      metrics.recordChunkWrite(m.nanos(), w.data.length);
      pipeline.written(w.seq);
      return Behaviors.same();
    }

    private Behavior<Command> onWriteFailed(WriteFailed m) {
      ChunkWrite w = pipeline.inFlight(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      if (m.error() instanceof ObjectAlreadyExistsException) {
        // Either our own earlier attempt landed, or a recovering owner sealed the WAL here.
        ctx.pipeToSelf(
            deps.objects().get(walKey(channelId, w.seq)),
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
      ChunkWrite w = pipeline.inFlight(m.chunkSeq());
      if (w != null) {
        write(w);
      }
      return Behaviors.same();
    }

    private Behavior<Command> onVerified(Verified m) {
      ChunkWrite w = pipeline.inFlight(m.chunkSeq());
      if (w == null) {
        return Behaviors.same();
      }
      if (pipeline.isOwnChunk(w.seq, m.existing())) {
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

    /** The incarnation gives up: it settles its WAL ({@link WalSettlement}), then dies. */
    private Behavior<Command> settle(S2Exception cause) {
      load.markDead();
      settlement = new WalSettlement(pipeline, cause, settings);
      perform(settlement.begin());
      return settling();
    }

    private Behavior<Command> settling() {
      return Behaviors.receive(Command.class)
          .onMessage(
              Append.class,
              m -> {
                // Failed when the settlement ends, after every append before it (log order).
                lateAppends.add(m);
                return Behaviors.same();
              })
          .onMessage(
              WriteDone.class,
              m -> {
                settlement.chunkWritten(m.chunkSeq());
                return Behaviors.same();
              })
          .onMessage(
              SealResult.class, m -> perform(settlement.sealWritten(m.chunkSeq(), m.error())))
          .onMessage(SealCheck.class, m -> perform(settlement.readBack(m.chunkSeq(), m.existing())))
          .onMessage(RetrySeal.class, m -> perform(settlement.retry()))
          .onAnyMessage(m -> Behaviors.same())
          .build();
    }

    /** Performs one step of the settlement. */
    private Behavior<Command> perform(WalSettlement.Step step) {
      if (step instanceof WalSettlement.WriteSeal s) {
        long at = s.chunkSeq();
        ctx.pipeToSelf(
            deps.objects()
                .putIfAbsent(walKey(channelId, at), WalChunkCodec.encodeSeal(channelId, at)),
            (ok, err) -> new SealResult(at, err == null ? null : unwrap(err)));
        return Behaviors.same();
      }
      if (step instanceof WalSettlement.ReadBack r) {
        long at = r.chunkSeq();
        ctx.pipeToSelf(
            deps.objects().get(walKey(channelId, at)),
            (found, err) ->
                err == null ? new SealCheck(at, found) : new SealResult(at, unwrap(err)));
        return Behaviors.same();
      }
      if (step instanceof WalSettlement.RetryLater r) {
        timers.startSingleTimer("retry-seal", new RetrySeal(), r.delay());
        return Behaviors.same();
      }
      if (step instanceof WalSettlement.Sealed s) {
        return sealedAt(s.chunkSeq(), s.how());
      }
      WalSettlement.GaveUp g = (WalSettlement.GaveUp) step;
      ctx.getLog()
          .error(
              "Channel {} could not seal its WAL at chunk {} ({}); its unacknowledged appends fail"
                  + " although some may have landed.",
              channelId,
              g.chunkSeq(),
              g.error().toString());
      return die(settlement.cause());
    }

    private Behavior<Command> sealedAt(long chunkSeq, String how) {
      ctx.getLog()
          .warn(
              "Channel {} {} at chunk {}; it acknowledged everything below and stops.",
              channelId,
              how,
              chunkSeq);
      String id = channelId;
      deps.metadata()
          .sealChannel(channelId, chunkSeq)
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  LOG.warn("Channel {} could not record its seal: {}", id, err.toString());
                }
              });
      return die(settlement.cause());
    }

    /** Fails every unacknowledged append in log order and stops. */
    private Behavior<Command> die(S2Exception error) {
      load.markDead();
      metrics.chunkWriteFailures.increment();
      pipeline.failAll(error);
      stash.forEach(
          m -> {
            if (m instanceof Append a) {
              a.replyTo().tell(new Failed(channelId, a.batchId(), error));
            }
          });
      for (Append a : lateAppends) {
        a.replyTo().tell(new Failed(channelId, a.batchId(), error));
      }
      lateAppends.clear();
      return Behaviors.stopped();
    }
  }
}
