package io.millrace.engine.wal;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StorageClass;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.sim.Simulator;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One channel incarnation in the deterministic simulation: the {@link Channel} actor's protocol
 * (register the channel row, then batch appends into chunks; create-only writes with retries and
 * read-backs; settle the WAL with {@link WalSettlement} and die when a write keeps failing or finds
 * its key taken) around the same {@link ChunkPipeline} and {@link WalSettlement} the actor uses.
 * Messages, timers and store completions are {@link Simulator} events of the channel's node, so a
 * crash of the node silences the channel at once.
 */
public final class SimChannel implements ChunkPipeline.Outbox {

  private enum State {
    STARTING,
    ACTIVE,
    SETTLING,
    DEAD
  }

  private final Simulator sim;
  private final Simulator.Owner node;
  private final String channelId;
  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final EngineSettings settings;
  private final ChannelLoad load = new ChannelLoad();
  private final ChunkPipeline pipeline;
  private final Map<Channel.Append, Consumer<Channel.Result>> replyTo = new IdentityHashMap<>();
  private final List<Runnable> startWaiters = new ArrayList<>();

  /** Appends held while the channel starts or settles its WAL (failed last when it dies). */
  private final List<Channel.Append> held = new ArrayList<>();

  private final Map<Object, Runnable> watchers = new LinkedHashMap<>(); // posted in watch order
  private final Consumer<SimChannel> onDeath;
  private State state = State.STARTING;
  private WalSettlement settlement;
  private S2Exception deathCause;

  public SimChannel(
      Simulator sim,
      Simulator.Owner node,
      String channelId,
      ObjectStore objects,
      MetadataStore metadata,
      EngineSettings settings,
      Consumer<SimChannel> onDeath) {
    this.sim = sim;
    this.node = node;
    this.channelId = channelId;
    this.objects = objects;
    this.metadata = metadata;
    this.settings = settings;
    this.onDeath = onDeath;
    this.pipeline = new ChunkPipeline(channelId, settings, load, this);
  }

  public String channelId() {
    return channelId;
  }

  public ChannelLoad load() {
    return load;
  }

  public boolean isDead() {
    return state == State.DEAD;
  }

  /** Registers the channel row; appends and registrations wait until it is written. */
  public void start() {
    metadata
        .putChannel(
            new ChannelRecord(
                channelId, "sim", StorageClass.EXPRESS.wire(), Instant.ofEpochMilli(0), null))
        .whenComplete(
            (ok, err) ->
                sim.post(
                    node,
                    () -> {
                      if (state != State.STARTING) {
                        return;
                      }
                      if (err != null) {
                        sim.trace("channel " + channelId + " could not start: " + unwrap(err));
                        die(new S2Exception(ErrorCode.UNAVAILABLE, "channel could not start"));
                        return;
                      }
                      state = State.ACTIVE;
                      sim.trace("channel " + channelId + " started");
                      startWaiters.forEach(Runnable::run);
                      startWaiters.clear();
                      List<Channel.Append> stashed = new ArrayList<>(held);
                      held.clear();
                      stashed.forEach(pipeline::append);
                    }));
  }

  /**
   * Assigns a stream (the supervisor's {@code Register} ask): {@code registered} gets the first
   * chunk its appends can land in, or {@code failed} if the channel died first.
   */
  public void register(Consumer<Channel.Registered> registered, Consumer<Throwable> failed) {
    Runnable answer =
        () -> {
          if (state == State.ACTIVE) {
            Channel.Registered reg =
                new Channel.Registered(channelId, null, pipeline.nextChunkSeq(), load);
            sim.post(node, () -> registered.accept(reg));
          } else {
            sim.post(node, () -> failed.accept(new IllegalStateException("channel is dead")));
          }
        };
    sim.post(
        node,
        () -> {
          if (state == State.STARTING) {
            startWaiters.add(answer);
          } else {
            answer.run();
          }
        });
  }

  /** Watches the channel: {@code stopped} is posted once it dies (at once if it is dead). */
  public void watch(Object watcher, Runnable stopped) {
    if (state == State.DEAD) {
      sim.post(node, stopped);
    } else {
      watchers.put(watcher, stopped);
    }
  }

  public void unwatch(Object watcher) {
    watchers.remove(watcher);
  }

  /** Sends an append; its answer is posted to {@code reply}. A dead channel drops it. */
  public void append(Channel.Append a, Consumer<Channel.Result> reply) {
    sim.post(
        node,
        () -> {
          switch (state) {
            case STARTING -> {
              replyTo.put(a, reply);
              held.add(a);
            }
            case ACTIVE -> {
              replyTo.put(a, reply);
              pipeline.append(a);
            }
            case SETTLING -> {
              // Failed when the settlement ends, after every append before it (log order).
              replyTo.put(a, reply);
              held.add(a);
            }
            case DEAD -> sim.trace("channel " + channelId + " is dead; an append is dropped");
          }
        });
  }

  // ---------------------------------------------------------------- ChunkPipeline.Outbox

  @Override
  public void reply(Channel.Append append, Channel.Result result) {
    Consumer<Channel.Result> r = replyTo.remove(append);
    if (r != null) {
      sim.post(node, () -> r.accept(result));
    }
  }

  @Override
  public void armFlushTimer(long openId) {
    sim.schedule(
        settings.flushInterval().toMillis(),
        node,
        () -> {
          if (state == State.ACTIVE) {
            pipeline.flushTimerFired(openId);
          }
        });
  }

  @Override
  public void write(ChunkPipeline.ChunkWrite w) {
    w.attempts++;
    long seq = w.seq;
    sim.trace("channel " + channelId + " writes chunk " + seq + " (attempt " + w.attempts + ")");
    objects
        .putIfAbsent(Channel.walKey(channelId, seq), w.data)
        .whenComplete(
            (ok, err) ->
                sim.post(
                    node,
                    () -> {
                      if (err == null) {
                        onWriteDone(seq);
                      } else {
                        onWriteFailed(seq, unwrap(err));
                      }
                    }));
  }

  // ---------------------------------------------------------------- writes

  private void onWriteDone(long seq) {
    if (state == State.SETTLING) {
      settlement.chunkWritten(seq);
      return;
    }
    if (state != State.ACTIVE || pipeline.inFlight(seq) == null) {
      return;
    }
    sim.trace("channel " + channelId + " chunk " + seq + " written");
    pipeline.written(seq);
  }

  private void onWriteFailed(long seq, Throwable error) {
    if (state != State.ACTIVE) {
      return;
    }
    ChunkPipeline.ChunkWrite w = pipeline.inFlight(seq);
    if (w == null) {
      return;
    }
    if (error instanceof ObjectAlreadyExistsException) {
      objects
          .get(Channel.walKey(channelId, seq))
          .whenComplete(
              (found, err) ->
                  sim.post(
                      node,
                      () -> {
                        if (err != null) {
                          onWriteFailed(seq, new RuntimeException("verify failed", err));
                        } else {
                          onVerified(seq, found);
                        }
                      }));
      return;
    }
    if (w.attempts <= settings.writeRetries()) {
      long backoff = settings.writeRetryBackoff().toMillis() << (w.attempts - 1);
      sim.trace("channel " + channelId + " chunk " + seq + " failed, retry in " + backoff);
      sim.schedule(
          backoff,
          node,
          () -> {
            ChunkPipeline.ChunkWrite again = state == State.ACTIVE ? pipeline.inFlight(seq) : null;
            if (again != null) {
              write(again);
            }
          });
      return;
    }
    sim.trace("channel " + channelId + " chunk " + seq + " failed " + w.attempts + " times");
    settle(new S2Exception(ErrorCode.STORAGE, "WAL write failed: " + error.getMessage(), error));
  }

  private void onVerified(long seq, Optional<byte[]> existing) {
    if (state != State.ACTIVE || pipeline.inFlight(seq) == null) {
      return;
    }
    if (pipeline.isOwnChunk(seq, existing)) {
      sim.trace("channel " + channelId + " chunk " + seq + " was already written");
      onWriteDone(seq);
      return;
    }
    sim.trace("channel " + channelId + " found chunk " + seq + " taken");
    settle(new S2Exception(ErrorCode.STORAGE, "WAL channel " + channelId + " was sealed; retry"));
  }

  // ---------------------------------------------------------------- settling

  private void settle(S2Exception cause) {
    load.markDead();
    state = State.SETTLING;
    settlement = new WalSettlement(pipeline, cause, settings);
    perform(settlement.begin());
  }

  private void perform(WalSettlement.Step step) {
    if (step instanceof WalSettlement.WriteSeal s) {
      long at = s.chunkSeq();
      sim.trace("channel " + channelId + " writes its seal at " + at);
      objects
          .putIfAbsent(Channel.walKey(channelId, at), WalChunkCodec.encodeSeal(channelId, at))
          .whenComplete(
              (ok, err) ->
                  sim.post(
                      node,
                      () -> perform(settlement.sealWritten(at, err == null ? null : unwrap(err)))));
    } else if (step instanceof WalSettlement.ReadBack r) {
      long at = r.chunkSeq();
      objects
          .get(Channel.walKey(channelId, at))
          .whenComplete(
              (found, err) ->
                  sim.post(
                      node,
                      () ->
                          perform(
                              err == null
                                  ? settlement.readBack(at, found)
                                  : settlement.sealWritten(at, unwrap(err)))));
    } else if (step instanceof WalSettlement.RetryLater r) {
      sim.schedule(r.delay().toMillis(), node, () -> perform(settlement.retry()));
    } else if (step instanceof WalSettlement.Sealed s) {
      sim.trace("channel " + channelId + " " + s.how() + " at " + s.chunkSeq());
      metadata.sealChannel(channelId, s.chunkSeq());
      die(settlement.cause());
    } else {
      WalSettlement.GaveUp g = (WalSettlement.GaveUp) step;
      sim.trace("channel " + channelId + " gave up sealing at " + g.chunkSeq());
      die(settlement.cause());
    }
  }

  private void die(S2Exception error) {
    if (state == State.DEAD) {
      return;
    }
    state = State.DEAD;
    deathCause = error;
    load.markDead();
    pipeline.failAll(error);
    for (Channel.Append a : held) {
      reply(a, new Channel.Failed(channelId, a.batchId(), error));
    }
    held.clear();
    startWaiters.forEach(Runnable::run);
    startWaiters.clear();
    watchers.values().forEach(w -> sim.post(node, w));
    watchers.clear();
    sim.trace("channel " + channelId + " died: " + error.getMessage());
    onDeath.accept(this);
  }

  public S2Exception deathCause() {
    return deathCause;
  }
}
