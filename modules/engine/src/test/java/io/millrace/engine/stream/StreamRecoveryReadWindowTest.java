package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.DamageReport;
import io.millrace.engine.ForwardingObjectStore;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.metadata.StreamletRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The replay of a streamlet's WAL reads its chunks with a bounded number of GETs in flight, and a
 * chunk whose GET is slow holds back only itself: the GETs of later chunks go on as earlier ones
 * are applied (a failover replays tens of chunks from a remote object store).
 */
class StreamRecoveryReadWindowTest {
  private static final String STREAM = "s";
  private static final String CHANNEL = "ch";
  private static final int CHUNKS = 40;
  private static final int WINDOW = 16;

  private final InMemoryObjectStore store = new InMemoryObjectStore();
  private final SqliteMetadataStore metadata = SqliteMetadataStore.inMemory();

  /** GETs of WAL chunks that have been sent and not answered yet, by chunk seq. */
  private final Map<Long, CompletableFuture<Optional<byte[]>>> held = new ConcurrentHashMap<>();

  private final List<Long> sent = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  @AfterEach
  void close() {
    metadata.close();
  }

  @Test
  void aSlowChunkHoldsBackOnlyItselfAndAtMostTheWindowIsInFlight() throws Exception {
    metadata
        .createStreamlet(new StreamletRecord(STREAM, 1, CHANNEL, 0, null, null))
        .toCompletableFuture()
        .get();
    metadata.sealStreamlet(STREAM, 1, CHUNKS, CHUNKS - 1).toCompletableFuture().get();
    for (long k = 0; k < CHUNKS; k++) {
      store.seed(Channel.walKey(CHANNEL, k), chunk(k));
    }

    ObjectStore slow = holdingGets();
    CompletableFuture<StreamRecovery.Recovered> recovered =
        new StreamRecovery(
                slow,
                metadata,
                new WalChunkCache(slow, 1 << 20),
                2,
                WalHorizon.NONE,
                new DamageReport())
            .recover(STREAM)
            .toCompletableFuture();

    awaitSent(WINDOW);
    assertThat(sentNow()).containsExactlyElementsOf(range(0, WINDOW));

    // Chunks 1 to 15 arrive while chunk 0 is slow: nothing after the window is asked for yet.
    for (long k = 1; k < WINDOW; k++) {
      answer(k);
    }
    assertThat(sentNow()).hasSize(WINDOW);

    // Chunk 0 arrives: 0 to 15 are applied, and the next 16 GETs go out at once.
    answer(0);
    awaitSent(2 * WINDOW);
    assertThat(sentNow()).containsExactlyElementsOf(range(0, 2 * WINDOW));

    // Chunk 16 is slow, 17 arrives: only chunk 16's own place waits; its GET is not sent again.
    answer(17);
    assertThat(sentNow()).hasSize(2 * WINDOW);
    answer(16);
    awaitSent(2 * WINDOW + 2);

    for (long k = 18; k < CHUNKS; k++) {
      awaitSent((int) Math.min(CHUNKS, k + 1));
      answer(k);
    }
    StreamRecovery.Recovered r = recovered.get(10, TimeUnit.SECONDS);

    assertThat(r.state().nextSeqNum()).isEqualTo(CHUNKS);
    assertThat(r.unflushed())
        .extracting(SequencedRecord::seqNum)
        .containsExactlyElementsOf(range(0, CHUNKS));
    assertThat(sentNow()).containsExactlyElementsOf(range(0, CHUNKS));
    assertThat(maxInFlight.get()).isEqualTo(WINDOW);
  }

  private static byte[] chunk(long seq) {
    SequencedRecord r =
        new SequencedRecord(seq, 1000, List.of(), ("r" + seq).getBytes(StandardCharsets.UTF_8));
    return WalChunkCodec.encodeChunk(
        CHANNEL, seq, List.of(new StreamSection(STREAM, 1, List.of(r))));
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long k = from; k < to; k++) {
      out.add(k);
    }
    return out;
  }

  private List<Long> sentNow() {
    synchronized (sent) {
      return new ArrayList<>(sent);
    }
  }

  private void awaitSent(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sentNow().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(sentNow()).as("GETs sent").hasSizeGreaterThanOrEqualTo(n);
  }

  private void answer(long k) {
    CompletableFuture<Optional<byte[]>> get = held.remove(k);
    assertThat(get).as("GET of chunk %d was sent", k).isNotNull();
    inFlight.decrementAndGet();
    get.complete(store.peek(Channel.walKey(CHANNEL, k)));
  }

  /** The store, with every WAL chunk GET held until the test answers it. */
  private ObjectStore holdingGets() {
    return new ForwardingObjectStore(store) {
      @Override
      public CompletionStage<Optional<byte[]>> get(String key) {
        if (!key.startsWith(Channel.walPrefix(CHANNEL))) {
          return store.get(key);
        }
        long k = Long.parseLong(key.substring(Channel.walPrefix(CHANNEL).length()));
        CompletableFuture<Optional<byte[]>> get = new CompletableFuture<>();
        held.put(k, get);
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        synchronized (sent) {
          sent.add(k);
        }
        return get;
      }
    };
  }
}
