package io.millrace.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Durability and availability of the data plane under storage and metadata faults. */
class DurabilityFindingsTest {
  private static final String BASIN = "test-basin";

  private InMemoryObjectStore objects;
  private MetadataStore realMetadata;
  private FaultyMetadata metadata;
  private TestResolver resolver;
  private TestClock clock;
  private final List<EngineNode> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() {
    objects = new InMemoryObjectStore();
    Awaitility.setDefaultTimeout(java.time.Duration.ofSeconds(30));
    realMetadata = SqliteMetadataStore.inMemory();
    metadata = new FaultyMetadata(realMetadata);
    resolver = new TestResolver();
    clock = new TestClock(1_700_000_000_000L);
  }

  @AfterEach
  void tearDown() {
    objects.clearFaults();
    for (EngineNode n : nodes) {
      n.close();
    }
    realMetadata.close();
  }

  private DataPlane node(String overrides) {
    EngineNode n = new EngineNode(overrides, objects, metadata.store, resolver, clock);
    nodes.add(n);
    return n.dataPlane;
  }

  private String stream(String name) {
    resolver.create(BASIN, name, StreamConfig.EMPTY);
    return name;
  }

  private String idOf(String name) {
    return resolver
        .resolve(BASIN, name, StreamResolver.Access.READ)
        .toCompletableFuture()
        .join()
        .streamId();
  }

  private static AppendInput input(String... bodies) {
    List<AppendRecord> recs = new ArrayList<>();
    for (String b : bodies) {
      recs.add(new AppendRecord(null, List.of(), b.getBytes(StandardCharsets.UTF_8)));
    }
    return new AppendInput(recs, null, null);
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete normally: " + e, e);
    }
  }

  private static S2Exception failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return S2Exception.from(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  private static AppendAck acked(CompletionStage<AppendOutcome> stage) {
    AppendOutcome o = await(stage);
    assertThat(o).isInstanceOf(AppendOutcome.Appended.class);
    return ((AppendOutcome.Appended) o).ack();
  }

  private static List<String> readAll(DataPlane dp, String stream) {
    List<String> all = new ArrayList<>();
    // A stream that is restarting refuses requests retryably for a moment: retry like a client.
    Awaitility.await()
        .until(
            () ->
                dp.checkTail(BASIN, stream)
                    .toCompletableFuture()
                    .handle((t, e) -> t != null)
                    .get());
    long tail = await(dp.checkTail(BASIN, stream)).seqNum();
    long next = 0;
    while (next < tail) {
      ReadOutcome o =
          await(
              dp.read(
                  BASIN,
                  stream,
                  new ReadRequest(new ReadStart.SeqNum(next), false, null, null, null, null)));
      List<SequencedRecord> page = ((ReadOutcome.Batch) o).batch().records();
      assertThat(page).isNotEmpty();
      page.forEach(r -> all.add(new String(r.body(), StandardCharsets.UTF_8)));
      next = page.get(page.size() - 1).seqNum() + 1;
    }
    return all;
  }

  // ---------------------------------------------------------------- finding 4

  @Test
  void aFailedWriteWhoseStreamletCannotBeSealedIsReportedAsMaybeDurableNotAsStorage() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 0\n");
    String s = stream("unsealable");
    acked(dp.append(BASIN, s, input("durable")));
    metadata.fail("sealStreamlet", new IllegalStateException("metadata unreachable"));
    InMemoryObjectStore.Gate gate = objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> doomed = dp.append(BASIN, s, input("doomed"));
    Awaitility.await().until(() -> gate.heldCount() >= 1);
    gate.failHeld(() -> new ObjectStoreException("bucket unreachable"));
    gate.open();

    S2Exception e = failure(doomed);
    assertThat(e.code()).isEqualTo(ErrorCode.OTHER);
    metadata.clear("sealStreamlet");
    assertThat(readAll(dp, s)).startsWith("durable");
  }

  @Test
  void aFailedWriteIsReportedAsStorageOnceTheStreamletIsSealed() {
    DataPlane dp = node("millrace.engine.channels.write-retries = 0\n");
    String s = stream("sealable");
    acked(dp.append(BASIN, s, input("durable")));
    InMemoryObjectStore.Gate gate = objects.blockPuts(k -> k.startsWith("wal/"));
    CompletionStage<AppendOutcome> doomed = dp.append(BASIN, s, input("doomed"));
    Awaitility.await().until(() -> gate.heldCount() >= 1);
    gate.failHeld(() -> new ObjectStoreException("bucket unreachable"));
    gate.open();

    assertThat(failure(doomed).code()).isEqualTo(ErrorCode.STORAGE);
    assertThat(await(realMetadata.listStreamlets(idOf(s))))
        .anySatisfy(l -> assertThat(l.sealedNextSeqNum()).isEqualTo(1L));
    assertThat(acked(dp.append(BASIN, s, input("next"))).start().seqNum()).isEqualTo(1);
    assertThat(readAll(dp, s)).containsExactly("durable", "next");
  }
}
