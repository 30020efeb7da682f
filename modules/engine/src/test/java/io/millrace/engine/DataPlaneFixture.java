package io.millrace.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Shared stores for data-plane tests: an in-memory object store, an in-memory SQLite metadata store
 * and a resolver, the engine nodes started over them (closed with the fixture), and the helpers
 * that wait for a data-plane answer, append and read back like a client.
 */
final class DataPlaneFixture implements AutoCloseable {
  static final String BASIN = "test-basin";
  static final long START_MS = 1_700_000_000_000L;
  private static final long ANSWER_LIMIT_SECONDS = 30;

  final InMemoryObjectStore objects = new InMemoryObjectStore();
  final MetadataStore metadata = SqliteMetadataStore.inMemory();
  final TestResolver resolver = new TestResolver();
  private final List<EngineNode> nodes = new ArrayList<>();

  DataPlaneFixture() {
    Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
  }

  /** Starts a node over the fixture's object store and resolver and the given metadata store. */
  EngineNode start(String overrides, MetadataStore metadataStore, TestClock clock) {
    EngineNode n = new EngineNode(overrides, objects, metadataStore, resolver, clock);
    nodes.add(n);
    return n;
  }

  /** Starts a node over the fixture's stores whose WAL chunk GC collected below {@code horizon}. */
  EngineNode start(String overrides, TestClock clock, io.millrace.engine.wal.WalHorizon horizon) {
    EngineNode n = new EngineNode(overrides, objects, metadata, resolver, clock, horizon);
    nodes.add(n);
    return n;
  }

  /** Starts a node over the fixture's stores that hosts no shard until it joins sharding. */
  EngineNode startWithoutShards(String overrides, TestClock clock) {
    EngineNode n =
        new EngineNode(
            overrides,
            objects,
            metadata,
            resolver,
            clock,
            io.millrace.engine.wal.WalHorizon.of(metadata),
            false);
    nodes.add(n);
    return n;
  }

  /** Starts a node over the fixture's stores. */
  EngineNode start(String overrides, TestClock clock) {
    return start(overrides, metadata, clock);
  }

  /** The nodes started so far, first started first. */
  List<EngineNode> nodes() {
    return nodes;
  }

  /** Creates stream {@code name} in {@link #BASIN} with {@code config}; returns its name. */
  String stream(String name, StreamConfig config) {
    resolver.create(BASIN, name, config);
    return name;
  }

  /** Creates stream {@code name} in {@link #BASIN} with the default config; returns its name. */
  String stream(String name) {
    return stream(name, StreamConfig.EMPTY);
  }

  /** The stream id the resolver gave stream {@code name} of {@link #BASIN}. */
  String idOf(String name) {
    return resolver
        .resolve(BASIN, name, StreamResolver.Access.READ)
        .toCompletableFuture()
        .join()
        .streamId();
  }

  /** Clears injected faults, stops every node, then closes the metadata store. */
  @Override
  public void close() {
    objects.clearFaults();
    for (EngineNode n : nodes) {
      n.close();
    }
    metadata.close();
  }

  /** A record with no timestamp and no headers. */
  static AppendRecord rec(String body) {
    return new AppendRecord(null, List.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  /** A record with a timestamp and one header {@code header: v}. */
  static AppendRecord rec(Long ts, String header, String body) {
    return new AppendRecord(
        ts,
        List.of(
            new Header(
                header.getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8))),
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** An append of {@code records}, with no match seq num and no fencing token. */
  static AppendInput input(AppendRecord... records) {
    return new AppendInput(List.of(records), null, null);
  }

  /** An append of one record a body, with no match seq num and no fencing token. */
  static AppendInput input(String... bodies) {
    List<AppendRecord> records = new ArrayList<>();
    for (String b : bodies) {
      records.add(rec(b));
    }
    return new AppendInput(records, null, null);
  }

  /** The value {@code stage} completes with; fails the test if it fails or takes over 30 s. */
  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(ANSWER_LIMIT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete normally: " + e, e);
    }
  }

  /** The S2 error {@code stage} fails with; fails the test if it completes normally. */
  static S2Exception failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(ANSWER_LIMIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return S2Exception.from(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  /** The ack of an append that must have been appended. */
  static AppendAck acked(CompletionStage<AppendOutcome> stage) {
    AppendOutcome o = await(stage);
    assertThat(o).isInstanceOf(AppendOutcome.Appended.class);
    return ((AppendOutcome.Appended) o).ack();
  }

  /** The ack of appending one record a body to {@code stream} in {@link #BASIN}. */
  static AppendAck appended(DataPlane dp, String stream, String... bodies) {
    return acked(dp.append(BASIN, stream, input(bodies)));
  }

  /** A unary read from {@code seq}, no limits. */
  static ReadRequest fromSeq(long seq) {
    return new ReadRequest(new ReadStart.SeqNum(seq), false, null, null, null, null);
  }

  /** The records of a read that must have answered with a batch. */
  static List<SequencedRecord> records(ReadOutcome o) {
    assertThat(o).isInstanceOf(ReadOutcome.Batch.class);
    return ((ReadOutcome.Batch) o).batch().records();
  }

  /** Reads everything of {@code stream} in {@link #BASIN} from seq 0 in unary pages. */
  static List<SequencedRecord> readAll(DataPlane dp, String stream) {
    List<SequencedRecord> all = new ArrayList<>();
    long tail = await(dp.checkTail(BASIN, stream)).seqNum();
    long next = 0;
    while (next < tail) {
      List<SequencedRecord> page = records(await(dp.read(BASIN, stream, fromSeq(next))));
      assertThat(page).isNotEmpty();
      all.addAll(page);
      next = page.get(page.size() - 1).seqNum() + 1;
    }
    return all;
  }

  /** The bodies of everything in {@code stream} in {@link #BASIN}, read from seq 0. */
  static List<String> bodies(DataPlane dp, String stream) {
    return readAll(dp, stream).stream().map(DataPlaneFixture::body).toList();
  }

  /**
   * The bodies of everything in {@code stream}, read once the stream answers: a stream that is
   * (re)activating refuses requests retryably for a moment, so this retries like a client.
   */
  static List<String> readAllBodiesOnceAnswering(DataPlane dp, String stream) {
    Awaitility.await()
        .until(
            () ->
                dp.checkTail(BASIN, stream)
                    .toCompletableFuture()
                    .handle((t, e) -> t != null)
                    .get());
    return bodies(dp, stream);
  }

  /** A record's body as UTF-8 text. */
  static String body(SequencedRecord r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }
}
