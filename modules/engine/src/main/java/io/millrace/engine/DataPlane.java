package io.millrace.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.AppendSessionService;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadSessionService;
import io.millrace.core.api.RecordService;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendValidation;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.core.stream.ReadRules;
import io.millrace.engine.metering.MeteringSeries;
import io.millrace.engine.metering.UsageAggregator;
import io.millrace.engine.read.ReadPlan;
import io.millrace.engine.read.SegmentReader;
import io.millrace.engine.read.TailFeeds;
import io.millrace.engine.read.TailPolls;
import io.millrace.engine.stream.EngineAppendSession;
import io.millrace.engine.stream.StreamEntity;
import io.millrace.engine.stream.UndeliveredRequests;
import io.millrace.engine.wal.ChannelSupervisor;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's data plane on one node: unary append, read and check tail (spec sections 6.1 to 6.3)
 * over {@link StreamEntity} sharded entities and this node's {@link ChannelSupervisor}, and the
 * erasure of deleted streams' data.
 */
public final class DataPlane
    implements RecordService, AppendSessionService, ReadSessionService, StreamDataEraser {
  private static final Logger log = LoggerFactory.getLogger(DataPlane.class);
  private final ActorSystem<?> system;
  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final StreamResolver resolver;
  private final EngineSettings settings;
  private final ClusterSharding sharding;
  private final ActorRef<ChannelSupervisor.Command> channels;
  private final ConcurrentMap<String, ActorRef<StreamEntity.Command>> localEntities =
      new ConcurrentHashMap<>();
  private final SegmentReader segmentReader;
  private final EngineMetrics metrics;
  private final DamageReport damage = new DamageReport();
  private final Set<StorageClass> startedClasses = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final String sessionNode = UUID.randomUUID().toString();
  private final AtomicLong sessionIds = new AtomicLong();
  private final TailPolls tailPolls = new TailPolls(System::currentTimeMillis);
  private final ActorRef<TailFeeds.Command> tailFeeds;
  private final Instant startedAt;
  private final String node;
  private final UsageAggregator usage;

  /**
   * Asks to entities on other nodes, failed early when a member is lost (docs/adr/0011): those
   * pending for {@link #LOST_ASK_MIN_AGE} at the loss or within {@link #LOSS_WINDOW} after it.
   */
  private final MemberLossAsks remoteAsks;

  static final Duration LOST_ASK_MIN_AGE = Duration.ofSeconds(1);
  static final Duration LOSS_WINDOW = Duration.ofSeconds(5);

  private final Entity<StreamEntity.Command, ShardingEnvelope<StreamEntity.Command>> entity;

  /**
   * Set once this node hosts shards ({@link #joinSharding}); until then requests are refused
   * retryably, so that no shard is allocated to a node that cannot serve yet (docs/adr/0012).
   */
  private volatile boolean shardingJoined;

  private DataPlane(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock,
      WalHorizon walHorizon,
      UsageAggregator usage,
      MeterRegistry registry) {
    this.system = system;
    this.usage = usage;
    this.metrics = new EngineMetrics(registry);
    metrics.trackLiveEntities(localEntities);
    this.remoteAsks =
        new MemberLossAsks(
            LOST_ASK_MIN_AGE, LOSS_WINDOW, System::nanoTime, metrics.asksFailedOnMemberLoss);
    this.objects = objects;
    this.metadata = metadata;
    this.resolver = resolver;
    this.settings = settings;
    this.startedAt = clock.instant();
    this.segmentReader =
        new SegmentReader(objects, metadata, settings.segmentCacheMaxSegments(), damage);
    this.node = Cluster.get(system).selfMember().address().toString();
    this.channels =
        system.systemActorOf(
            ChannelSupervisor.create(
                node, objects, metadata, settings, metrics, clock, startedClasses::add),
            "millrace-channels-" + UUID.randomUUID(),
            Props.empty());
    StreamEntity.Deps deps =
        new StreamEntity.Deps(
            objects,
            metadata,
            channels,
            settings,
            metrics,
            clock,
            localEntities,
            new WalChunkCache(objects, 64L * 1024 * 1024),
            walHorizon,
            damage);
    this.sharding = ClusterSharding.get(system);
    this.entity =
        Entity.of(
                StreamEntity.TYPE_KEY,
                ctx -> StreamEntity.create(ctx.getEntityId(), ctx.getShard(), deps))
            .withStopMessage(new StreamEntity.Passivate());
    system.systemActorOf(
        remoteAsks.watcher(), "millrace-member-loss-" + UUID.randomUUID(), Props.empty());
    system.systemActorOf(
        UndeliveredRequests.create(metrics.undeliveredRequests),
        "millrace-undelivered-" + UUID.randomUUID(),
        Props.empty());
    TailFeeds.Settings feedSettings = TailFeeds.Settings.fromConfig(system.settings().config());
    this.tailFeeds =
        feedSettings.enabled()
            ? system.systemActorOf(
                TailFeeds.create(
                    feedSettings,
                    (id, cmd) -> {
                      if (shardingJoined) {
                        sharding.entityRefFor(StreamEntity.TYPE_KEY, id).tell(cmd);
                      }
                    },
                    System::currentTimeMillis),
                "millrace-tail-feeds-" + UUID.randomUUID(),
                Props.empty())
            : null;
  }

  /**
   * Starts the data plane on a node that is already a cluster member: spawns the channel supervisor
   * and initialises sharding of stream entities.
   */
  public static DataPlane start(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock) {
    return start(
        system,
        objects,
        metadata,
        resolver,
        settings,
        clock,
        new UsageAggregator(clock, UUID.randomUUID().toString()),
        new SimpleMeterRegistry());
  }

  /**
   * Starts the data plane with the {@link WalHorizon} of the node's WAL chunk GC: recovery never
   * needs (nor calls a hole) a chunk below it.
   */
  public static DataPlane start(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock,
      WalHorizon walHorizon) {
    return new DataPlane(
            system,
            objects,
            metadata,
            resolver,
            settings,
            clock,
            walHorizon,
            new UsageAggregator(clock, UUID.randomUUID().toString()),
            new SimpleMeterRegistry())
        .joinSharding();
  }

  /**
   * {@link #start} with the node's metering counters (acknowledged appends and reads are counted
   * there, docs/metrics.md) and the registry its counters and latency histograms are registered in;
   * recovery's {@link WalHorizon} is the chunk GC watermark in the metadata store.
   */
  public static DataPlane start(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock,
      UsageAggregator usage,
      MeterRegistry registry) {
    return startWithoutShards(system, objects, metadata, resolver, settings, clock, usage, registry)
        .joinSharding();
  }

  /**
   * {@link #start} without hosting shards yet: the channels start, requests are refused with a
   * retryable {@code unavailable} until {@link #joinSharding()} (a server calls it once its ports
   * are bound, docs/adr/0012).
   */
  public static DataPlane startWithoutShards(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock,
      UsageAggregator usage,
      MeterRegistry registry) {
    return startWithoutShards(
        system,
        objects,
        metadata,
        resolver,
        settings,
        clock,
        WalHorizon.of(metadata),
        usage,
        registry);
  }

  /** {@link #startWithoutShards} with the given {@link WalHorizon}. */
  public static DataPlane startWithoutShards(
      ActorSystem<?> system,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      EngineSettings settings,
      Clock clock,
      WalHorizon walHorizon,
      UsageAggregator usage,
      MeterRegistry registry) {
    return new DataPlane(
        system, objects, metadata, resolver, settings, clock, walHorizon, usage, registry);
  }

  /**
   * Starts hosting stream entities: registers this node's shard region with the shard coordinator,
   * which may then allocate shards to it (and move shards to it when rebalancing). Idempotent.
   */
  public synchronized DataPlane joinSharding() {
    if (!shardingJoined) {
      sharding.init(entity);
      shardingJoined = true;
    }
    return this;
  }

  /** True once the channels of every storage class have registered (see {@link #isReady}). */
  public boolean channelsReady() {
    return startedClasses.size() == StorageClass.values().length;
  }

  /** The node's metering counters. */
  public UsageAggregator usage() {
    return usage;
  }

  /**
   * True once a channel of every storage class has registered (appends can be made durable) and the
   * node hosts shards ({@link #joinSharding}), until {@link #stop()}.
   */
  public boolean isReady() {
    return channelsReady() && shardingJoined && !stopping.get();
  }

  /** The data plane's counters and timers. */
  public EngineMetrics metrics() {
    return metrics;
  }

  /** What this node found damaged in the stores (for {@code /health} and {@code /metrics}). */
  public DamageReport damage() {
    return damage;
  }

  /**
   * Graceful stop: when other members are up, this node first hands its shards over to them (the
   * shard region's graceful shutdown, docs/adr/0012), so that requests meanwhile reach the streams'
   * new owners rather than entities restarted here; then every stream entity still on this node
   * stops accepting appends, waits for its in-flight appends, flushes a segment, seals its
   * streamlet and stops; then the channels stop.
   */
  public CompletionStage<Void> stop() {
    stopping.set(true);
    return handOffShards(settings.askTimeout()).thenCompose(x -> stopLocalEntities());
  }

  /**
   * Hands this node's shards to the other members (the region stops once the coordinator moved
   * them; each entity drains and seals on the way), at most for {@code timeout}; done at once on a
   * node that hosts no shards or is the only member up.
   */
  private CompletionStage<Void> handOffShards(Duration timeout) {
    Cluster cluster = Cluster.get(system);
    boolean othersUp =
        StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
            .anyMatch(
                m ->
                    m.status() == MemberStatus.up()
                        && !m.address().equals(cluster.selfMember().address()));
    if (!shardingJoined || !othersUp) {
      return CompletableFuture.completedFuture(null);
    }
    long started = System.nanoTime();
    int entities = localEntities.size();
    org.apache.pekko.actor.ActorRef region =
        org.apache.pekko.cluster.sharding.ClusterSharding.get(system)
            .shardRegion(StreamEntity.TYPE_KEY.name());
    return Patterns.gracefulStop(region, timeout, ShardRegion.gracefulShutdownInstance())
        .handle(
            (ok, err) -> {
              long ms = (System.nanoTime() - started) / 1_000_000;
              if (err == null) {
                log.info(
                    "Handed this node's shards ({} stream entities) to the other members in {} ms.",
                    entities,
                    ms);
              } else {
                log.warn(
                    "The shard hand-off did not finish within {} ms ({}); stopping the remaining"
                        + " {} stream entities here.",
                    ms,
                    err.toString(),
                    localEntities.size());
              }
              return null;
            });
  }

  private CompletionStage<Void> stopLocalEntities() {
    List<CompletableFuture<Done>> all = new ArrayList<>();
    Duration timeout = settings.askTimeout().multipliedBy(2);
    for (ActorRef<StreamEntity.Command> ref : List.copyOf(localEntities.values())) {
      all.add(
          AskPattern.<StreamEntity.Command, Done>ask(
                  ref, StreamEntity.Shutdown::new, timeout, system.scheduler())
              .exceptionally(t -> Done.getInstance())
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenRun(() -> channels.tell(new ChannelSupervisor.Stop()));
  }

  private static StreamEntity.StreamParams params(StreamRecord stream) {
    StreamConfig c = (stream.config() == null ? StreamConfig.EMPTY : stream.config()).resolve(null);
    Timestamping t = c.timestamping();
    return new StreamEntity.StreamParams(
        c.storageClass(), t.mode(), t.uncapped() != null && t.uncapped());
  }

  /** The stream's retention age in seconds, null for infinite retention. */
  private static Long retentionAgeSecs(StreamRecord stream) {
    StreamConfig c = (stream.config() == null ? StreamConfig.EMPTY : stream.config()).resolve(null);
    return c.retentionPolicy() == null ? null : c.retentionPolicy().ageSecs();
  }

  /**
   * The stage {@code work} starts, unless {@code checks} (validation, {@link #checkRunning}) refuse
   * the request: then a stage failed with their {@link S2Exception}.
   */
  private static <T> CompletionStage<T> unlessRefused(
      Runnable checks, Supplier<CompletionStage<T>> work) {
    try {
      checks.run();
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return work.get();
  }

  private void checkRunning() {
    if (stopping.get()) {
      throw new S2Exception(ErrorCode.UNAVAILABLE, "server is stopping; retry");
    }
    if (!shardingJoined) {
      throw new S2Exception(ErrorCode.UNAVAILABLE, "server is starting; retry");
    }
  }

  /**
   * Validates the batch (plaintext sizes), resolves the stream, seals the batch for an encrypted
   * stream ({@link StreamEncryption}) and asks the stream's entity.
   */
  @Override
  public CompletionStage<AppendOutcome> append(
      String basin, String stream, AppendInput input, EncryptionKey key) {
    return unlessRefused(
        () -> {
          AppendValidation.validate(input);
          checkRunning();
        },
        () -> {
          long started = System.nanoTime();
          return resolve(basin, stream, StreamResolver.Access.APPEND)
              .thenCompose(
                  s -> {
                    AppendInput stored = StreamEncryption.seal(s, input, key);
                    return ask(
                            s.streamId(),
                            (ActorRef<StreamEntity.AppendReply> r) ->
                                new StreamEntity.Append(params(s), stored, r),
                            settings.askTimeout(),
                            ErrorCode.OTHER,
                            "append timed out; it may have become durable")
                        .thenApply(r -> metered(s, input, settle(r, AppendOutcome.class), started));
                  });
        });
  }

  /**
   * Counts an acknowledged append batch in the stream's basin, by storage class, and its latency
   * since {@code startNanos} (metered sizes are the plaintext's, as the client sent them).
   */
  private AppendOutcome metered(
      StreamRecord s, AppendInput input, AppendOutcome outcome, long startNanos) {
    if (outcome instanceof AppendOutcome.Appended) {
      metrics.recordAppendAck(System.nanoTime() - startNanos);
      String storageClass = params(s).storageClass().name().toLowerCase(java.util.Locale.ROOT);
      usage.add(s.basin(), MeteringSeries.APPEND_OPS, storageClass, 1);
      usage.add(s.basin(), MeteringSeries.APPEND_THROUGHPUT, storageClass, input.meteredSize());
    }
    return outcome;
  }

  /**
   * Opens a pipelined append session (spec 6.5): batches reach the stream entity in submission
   * order, many in flight, outcomes in order; after a failed batch no later batch of the session is
   * appended.
   */
  @Override
  public AppendSession openAppendSession(String basin, String stream, EncryptionKey key) {
    return new EngineAppendSession(
        sessionNode + "#" + sessionIds.incrementAndGet(),
        () ->
            unlessRefused(
                this::checkRunning,
                () ->
                    resolver
                        .resolve(basin, stream, StreamResolver.Access.APPEND)
                        .thenApply(
                            s -> {
                              StreamEncryption.requireKey(s, key);
                              return s;
                            })),
        (s, sessionId, input, afterUnanswered) -> {
          long started = System.nanoTime();
          AppendInput stored;
          try {
            stored = StreamEncryption.seal(s, input, key);
          } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
          }
          return ask(
                  s.streamId(),
                  (ActorRef<StreamEntity.AppendReply> r) ->
                      new StreamEntity.SessionAppend(
                          params(s), stored, sessionId, afterUnanswered, r),
                  settings.askTimeout(),
                  ErrorCode.OTHER,
                  "append timed out; it may have become durable")
              .thenApply(r -> metered(s, input, settle(r, AppendOutcome.class), started));
        });
  }

  /**
   * Resolves the stream, requires the key of an encrypted stream, reads (one long-poll per stream
   * position per node, shared by the readers waiting there) and opens the records with the key.
   */
  @Override
  public CompletionStage<ReadOutcome> read(
      String basin, String stream, ReadRequest request, EncryptionKey key) {
    return read(basin, stream, request, key, MeteringSeries.UNARY);
  }

  /**
   * A reader for one read session: its first read counts one streaming read operation, every read
   * counts the bytes it returns; appends and tails go to this data plane unchanged.
   */
  @Override
  public RecordService openReadSession(String basin, String stream) {
    AtomicBoolean counted = new AtomicBoolean();
    DataPlane self = this;
    return new RecordService() {
      @Override
      public CompletionStage<AppendOutcome> append(
          String b, String s, AppendInput input, EncryptionKey key) {
        return self.append(b, s, input, key);
      }

      @Override
      public CompletionStage<ReadOutcome> read(
          String b, String s, ReadRequest request, EncryptionKey key) {
        return self.read(
            b,
            s,
            request,
            key,
            counted.compareAndSet(false, true) ? MeteringSeries.STREAMING : null);
      }

      @Override
      public CompletionStage<StreamPosition> checkTail(String b, String s) {
        return self.checkTail(b, s);
      }

      @Override
      public CompletionStage<StreamPosition> tailForRead(String b, String s, EncryptionKey key) {
        return self.tailForRead(b, s, key);
      }
    };
  }

  /**
   * A read; {@code opLabel} names the read operation it counts ({@code unary}, {@code streaming})
   * or is null for a later read of a session (only its bytes count).
   */
  private CompletionStage<ReadOutcome> read(
      String basin, String stream, ReadRequest request, EncryptionKey key, String opLabel) {
    // The read's place in a tail feed, if it waits there: cancelling the read frees it.
    AtomicReference<CompletableFuture<ReadOutcome>> fedSlot = new AtomicReference<>();
    CompletableFuture<ReadOutcome> result =
        readUncancellable(basin, stream, request, key, opLabel, fedSlot).toCompletableFuture();
    CompletableFuture<ReadOutcome> out = new CompletableFuture<>();
    result.whenComplete(
        (o, e) -> {
          if (e != null) {
            out.completeExceptionally(e);
          } else {
            out.complete(o);
          }
        });
    out.whenComplete(
        (o, e) -> {
          CompletableFuture<ReadOutcome> fed = fedSlot.get();
          if (e instanceof CancellationException && fed != null) {
            fed.cancel(false);
          }
        });
    return out;
  }

  private CompletionStage<ReadOutcome> readUncancellable(
      String basin,
      String stream,
      ReadRequest request,
      EncryptionKey key,
      String opLabel,
      AtomicReference<CompletableFuture<ReadOutcome>> fedSlot) {
    return unlessRefused(
        () -> {
          ReadRules.validate(request);
          checkRunning();
        },
        () -> {
          Duration timeout =
              settings
                  .askTimeout()
                  .plusSeconds(request.waitSecs() == null ? 0 : Math.max(0, request.waitSecs()));
          long started = System.nanoTime();
          boolean waits = request.waitSecs() != null && request.waitSecs() > 0;
          return resolve(basin, stream, StreamResolver.Access.READ)
              .thenCompose(
                  s -> {
                    StreamEncryption.requireKey(s, key);
                    return readTail(s, request, timeout, fedSlot)
                        .thenApply(o -> StreamEncryption.open(s, o, key));
                  })
              .whenComplete(
                  (o, e) -> {
                    if (o instanceof ReadOutcome.Batch b) {
                      metrics.readRecords.add(b.batch().records().size());
                      long bytes = 0;
                      for (SequencedRecord r : b.batch().records()) {
                        bytes += r.meteredSize();
                      }
                      usage.add(basin, MeteringSeries.READ_THROUGHPUT, "", bytes);
                    }
                    if (e == null && !waits) {
                      metrics.recordRead(System.nanoTime() - started);
                    }
                    if (e == null && opLabel != null) {
                      usage.add(basin, MeteringSeries.READ_OPS, opLabel, 1);
                    }
                  });
        });
  }

  /**
   * A read that may wait at the tail goes to this node's tail feed of the stream first (push
   * tailing, {@link TailFeeds}); what the feed does not serve, and every other read, reads the
   * entity (long-polls coalesced by {@link TailPolls}).
   */
  private CompletionStage<ReadOutcome> readTail(
      StreamRecord s,
      ReadRequest request,
      Duration timeout,
      AtomicReference<CompletableFuture<ReadOutcome>> fedSlot) {
    if (tailFeeds == null || !TailFeeds.eligible(request)) {
      return tailPolls.read(s.streamId(), request, req -> readEntity(s, req, timeout));
    }
    CompletableFuture<ReadOutcome> fed = new CompletableFuture<>();
    fedSlot.set(fed);
    tailFeeds.tell(new TailFeeds.Read(s.streamId(), request, fed));
    return fed.thenCompose(
        o ->
            o != null
                ? CompletableFuture.completedFuture(o)
                : tailPolls.read(s.streamId(), request, req -> readEntity(s, req, timeout)));
  }

  /** Counts of this node's tail feeds (for tests and benchmarks); null when feeds are off. */
  public CompletionStage<TailFeeds.Stats> tailFeedStats() {
    if (tailFeeds == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<TailFeeds.Stats> f = new CompletableFuture<>();
    tailFeeds.tell(new TailFeeds.Probe(f));
    return f;
  }

  /** One read of the stream entity: its answer, or its read plan executed here. */
  private CompletionStage<ReadOutcome> readEntity(
      StreamRecord s, ReadRequest request, Duration timeout) {
    return ask(
            s.streamId(),
            (ActorRef<StreamEntity.ReadReply> r) ->
                new StreamEntity.Read(request, retentionAgeSecs(s), r),
            timeout,
            ErrorCode.UNAVAILABLE,
            "read timed out; retry")
        // Async: what follows (executing a read plan, encoding up to a MiB of records for the
        // client) must not run on the thread that delivered the entity's answer (see ask).
        .thenComposeAsync(
            r -> {
              Object result = settle(r, Object.class);
              if (result instanceof ReadPlan plan) {
                return segmentReader
                    .execute(plan, ReadRules.Collector.forUnary(request))
                    .thenApply(b -> (ReadOutcome) new ReadOutcome.Batch(b));
              }
              return CompletableFuture.completedFuture((ReadOutcome) result);
            });
  }

  /**
   * The durable tail of the stream with id {@code streamId}, from its entity (activating it if
   * needed): the lifecycle sweep's check that nothing was appended since the last segment flush.
   */
  public CompletionStage<StreamPosition> tailOf(String streamId) {
    return ask(
            streamId,
            (ActorRef<StreamEntity.TailReply> r) -> new StreamEntity.CheckTail(r),
            settings.askTimeout(),
            ErrorCode.UNAVAILABLE,
            "check tail timed out; retry")
        .thenApply(r -> settle(r, StreamPosition.class));
  }

  /** This node's name in channel rows (its cluster address). */
  public String node() {
    return node;
  }

  /** When this data plane started: channel incarnations of this node started before are dead. */
  public Instant startedAt() {
    return startedAt;
  }

  @Override
  public CompletionStage<StreamPosition> checkTail(String basin, String stream) {
    return unlessRefused(
        this::checkRunning,
        () ->
            this.<StreamEntity.TailReply>askStream(
                    basin,
                    stream,
                    StreamResolver.Access.CHECK_TAIL,
                    (s, r) -> new StreamEntity.CheckTail(r),
                    ErrorCode.UNAVAILABLE,
                    "check tail timed out; retry")
                .thenApply(r -> settle(r, StreamPosition.class)));
  }

  @Override
  public CompletionStage<StreamPosition> tailForRead(
      String basin, String stream, EncryptionKey key) {
    return unlessRefused(
        this::checkRunning,
        () ->
            resolve(basin, stream, StreamResolver.Access.READ)
                .thenCompose(
                    s -> {
                      StreamEncryption.requireKey(s, key);
                      return ask(
                          s.streamId(),
                          (ActorRef<StreamEntity.TailReply> r) -> new StreamEntity.CheckTail(r),
                          settings.askTimeout(),
                          ErrorCode.UNAVAILABLE,
                          "check tail timed out; retry");
                    })
                .thenApply(r -> settle(r, StreamPosition.class)));
  }

  /**
   * Stops the stream's entity (without sealing: the stream is gone), which leaves a tombstone in
   * stream_state so that the id is never activated again, and deletes its segments (objects and
   * rows) and streamlets. Idempotent.
   */
  @Override
  public CompletionStage<Void> erase(String streamId) {
    return ask(
            streamId,
            (ActorRef<Done> r) -> new StreamEntity.Erase(r),
            settings.askTimeout(),
            ErrorCode.UNAVAILABLE,
            "erase timed out; retry")
        .thenCompose(d -> metadata.listSegments(streamId))
        .thenCompose(
            segs -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (SegmentRecord s : segs) {
                chain =
                    chain
                        .thenCompose(x -> objects.delete(s.objectKey()))
                        .thenRun(() -> segmentReader.invalidate(s.objectKey()))
                        .thenCompose(x -> metadata.deleteSegment(streamId, s.firstSeqNum()));
              }
              return chain;
            })
        .thenCompose(x -> deleteOrphanSegmentObjects("segments/" + streamId + "/"))
        // The stream_state row stays: it is the tombstone the entity wrote (never reactivated).
        .thenCompose(x -> metadata.deleteStreamlets(streamId, Long.MAX_VALUE));
  }

  private CompletionStage<Void> deleteOrphanSegmentObjects(String prefix) {
    return objects
        .list(prefix, null, 1000)
        .thenCompose(
            page -> {
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (ObjectInfo o : page) {
                chain = chain.thenCompose(x -> objects.delete(o.key()));
              }
              if (page.size() < 1000) {
                return chain;
              }
              return chain.thenCompose(x -> deleteOrphanSegmentObjects(prefix));
            });
  }

  /**
   * The one translation of a stream entity's reply into what the caller sees: a {@link
   * StreamEntity.Failed} becomes the {@link S2Exception} with its code and message; otherwise the
   * reply's result (an append or read outcome, a read plan, or the tail), of type {@code type}.
   */
  static <T> T settle(StreamEntity.Reply reply, Class<T> type) {
    Object result;
    if (reply instanceof StreamEntity.Failed f) {
      throw new S2Exception(f.code(), f.message());
    } else if (reply instanceof StreamEntity.AppendResult a) {
      result = a.outcome();
    } else if (reply instanceof StreamEntity.ReadResult r) {
      result = r.outcome();
    } else if (reply instanceof StreamEntity.ReadPlanned p) {
      result = p.plan();
    } else if (reply instanceof StreamEntity.TailResult t) {
      result = t.tail();
    } else {
      throw new IllegalStateException("unknown reply " + reply);
    }
    return type.cast(result);
  }

  /** Resolves the stream, then asks its entity with {@code message} within the ask timeout. */
  private <R> CompletionStage<R> askStream(
      String basin,
      String stream,
      StreamResolver.Access access,
      BiFunction<StreamRecord, ActorRef<R>, StreamEntity.Command> message,
      ErrorCode onTimeout,
      String timeoutMessage) {
    return resolve(basin, stream, access)
        .thenCompose(
            s ->
                ask(
                    s.streamId(),
                    (ActorRef<R> r) -> message.apply(s, r),
                    settings.askTimeout(),
                    onTimeout,
                    timeoutMessage));
  }

  private CompletionStage<StreamRecord> resolve(
      String basin, String stream, StreamResolver.Access access) {
    try {
      return resolver.resolve(basin, stream, access);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Asks the stream's entity. An ask with no wait beyond the ask timeout to an entity not on this
   * node is failed early, as timed out, when a cluster member is lost ({@link MemberLossAsks}).
   */
  private <R> CompletionStage<R> ask(
      String streamId,
      Function<ActorRef<R>, StreamEntity.Command> message,
      Duration timeout,
      ErrorCode onTimeout,
      String timeoutMessage) {
    if (!shardingJoined) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.UNAVAILABLE, "server is starting; retry"));
    }
    CompletionStage<R> asked =
        sharding.entityRefFor(StreamEntity.TYPE_KEY, streamId).<R>ask(message::apply, timeout);
    if (timeout.compareTo(settings.askTimeout()) <= 0 && !localEntities.containsKey(streamId)) {
      asked = remoteAsks.track(asked);
    }
    // handleAsync on the calling thread, not handle: Pekko's ask answers with Scala's
    // CompletionStage adapter, which runs every non-async callback on the JDK's common pool, one
    // more thread wake-up per request. This one is short, and what follows it runs on the thread
    // that delivered the entity's answer (often the entity's own, inside its message handler), so
    // a caller with more than a small answer to build moves on with an async stage (readEntity).
    return asked.handleAsync(
        (r, err) -> {
          if (err == null) {
            return r;
          }
          Throwable cause = Failures.unwrap(err);
          if (cause instanceof TimeoutException) {
            throw new S2Exception(onTimeout, timeoutMessage, cause);
          }
          throw S2Exception.from(cause);
        },
        Runnable::run);
  }
}
