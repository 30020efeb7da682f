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
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery racing with writers that are still running, as the engine simulation found them
 * (docs/verification.md): a channel that is alive while a stream recovers from it, a flush of an
 * owner that has not noticed yet that a newer activation is recovering, and such an owner opening
 * its next epoch.
 */
class StreamRecoveryRacesTest {
  private final InMemoryObjectStore store = new InMemoryObjectStore();
  private final SqliteMetadataStore metadata = SqliteMetadataStore.inMemory();

  @AfterEach
  void close() {
    metadata.close();
  }

  private static byte[] chunk(String channelId, long seq) {
    SequencedRecord r =
        new SequencedRecord(seq, 1000, List.of(), ("r" + seq).getBytes(StandardCharsets.UTF_8));
    return WalChunkCodec.encodeChunk(
        channelId, seq, List.of(new StreamSection("other-stream", 1, List.of(r))));
  }

  /** A registered channel whose WAL holds chunks 0 to {@code chunks - 1}. */
  private void channelWithChunks(String ch, int chunks) throws Exception {
    metadata
        .putChannel(new ChannelRecord(ch, "n", "express", Instant.EPOCH, null))
        .toCompletableFuture()
        .get();
    for (long k = 0; k < chunks; k++) {
      store.seed(Channel.walKey(ch, k), chunk(ch, k));
    }
  }

  private StreamRecovery recovery(ObjectStore objects, MetadataStore meta) {
    return new StreamRecovery(
        objects, meta, new WalChunkCache(objects, 1 << 20), 2, WalHorizon.NONE, new DamageReport());
  }

  @Test
  void sealingAChannelThatIsStillWritingIsNotReportedAsDataLoss() throws Exception {
    // Engine simulation seed 111: chunk 7 was not written yet when the search found it missing,
    // and chunks 7 to 9 were by the time the hole check listed beyond it.
    String ch = "live";
    channelWithChunks(ch, 7);
    boolean[] wroteOn = new boolean[1];
    ObjectStore writingOn =
        new ForwardingObjectStore(store) {
          @Override
          public CompletionStage<List<ObjectInfo>> list(
              String prefix, String startAfter, int limit) {
            CompletionStage<List<ObjectInfo>> page = store.list(prefix, startAfter, limit);
            if (!wroteOn[0]) {
              wroteOn[0] = true; // the live channel writes chunks 7, 8 and 9 after this listing
              for (long k = 7; k < 10; k++) {
                store.seed(Channel.walKey(ch, k), chunk(ch, k));
              }
            }
            return page;
          }
        };

    long seal =
        recovery(writingOn, metadata)
            .sealChannel(ch, 0)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);

    assertThat(seal).isEqualTo(10);
    assertThat(WalChunkCodec.decode(store.peek(Channel.walKey(ch, 10)).orElseThrow()))
        .isInstanceOf(io.millrace.format.WalObject.Seal.class);
  }

  @Test
  void aSealAnotherNodeWroteButHasNotRecordedYetIsTakenNotSealedOver() throws Exception {
    // Two nodes recover streams of the same dead channel at once: the first wrote its seal object
    // at chunk 7 and has not updated the channel row yet when the second lists the WAL.
    String ch = "dead";
    channelWithChunks(ch, 7);
    store.seed(Channel.walKey(ch, 7), WalChunkCodec.encodeSeal(ch, 7));

    long seal =
        recovery(store, metadata)
            .sealChannel(ch, 0)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);

    assertThat(seal).isEqualTo(7);
    assertThat(store.peek(Channel.walKey(ch, 8))).as("no second seal object").isEmpty();
    assertThat(metadata.getChannel(ch).toCompletableFuture().get().orElseThrow().sealChunkSeq())
        .isEqualTo(7L);
  }

  @Test
  void aStateWrittenByAFlushDuringRecoveryIsReadWithTheSegmentsItCounts() throws Exception {
    // Engine simulation seed 13: the segment index was listed before an older owner's flush added
    // segment 8..12, the state was read after it wrote the state that counts that segment; records
    // 8..12 were then neither in a listed segment nor replayed.
    String s = "s";
    metadata
        .createStreamlet(new StreamletRecord(s, 1, "ch", 0, null, null))
        .toCompletableFuture()
        .get();
    metadata.sealStreamlet(s, 1, 13, 2).toCompletableFuture().get();
    metadata.addSegment(segment(s, 0, 7)).toCompletableFuture().get();
    metadata
        .putStreamState(new StreamStateRecord(s, 8, 8, 1000, "", 0, 1))
        .toCompletableFuture()
        .get();
    Runnable[] pendingState = new Runnable[1];
    MetadataStore racing =
        racing(
            (method, real) -> {
              if (method.equals("getStreamState")) {
                // The state is read a little later, after the older owner's flush landed.
                CompletableFuture<Object> state = new CompletableFuture<>();
                Runnable read =
                    once(
                        () -> {
                          olderOwnerFlushes(s);
                          state.complete(metadata.getStreamState(s).toCompletableFuture().join());
                        });
                pendingState[0] = read;
                CompletableFuture.runAsync(
                    read, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
                return state;
              }
              Object result = real.call();
              if (method.equals("listSegments") && pendingState[0] != null) {
                ((CompletionStage<?>) result).toCompletableFuture().join();
                pendingState[0].run();
              }
              return result;
            });

    StreamRecovery.Recovered r =
        recovery(store, racing).recover(s).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(r.state().nextSeqNum()).isEqualTo(13);
    TreeSet<Long> readable = new TreeSet<>();
    for (SegmentRecord seg : r.segments()) {
      for (long n = seg.firstSeqNum(); n <= seg.lastSeqNum(); n++) {
        readable.add(n);
      }
    }
    r.unflushed().forEach(rec -> readable.add(rec.seqNum()));
    assertThat(readable).as("seq nums below the tail in a segment or in memory").hasSize(13);
  }

  @Test
  void aStreamletAnOlderOwnerOpensDuringRecoveryIsReplayedAndThatOwnerIsFencedBeforeServing()
      throws Exception {
    // Engine simulation seed 210: a recovery listed the streamlets just before the older owner,
    // still running, opened its next epoch and acknowledged a record in it; the recovery served
    // the older tail until its own first write was refused.
    String s = "s";
    for (String ch : List.of("ch1", "ch2")) {
      metadata
          .putChannel(new ChannelRecord(ch, "n", "express", Instant.EPOCH, null))
          .toCompletableFuture()
          .get();
    }
    metadata
        .createStreamlet(new StreamletRecord(s, 1, "ch1", 0, null, null))
        .toCompletableFuture()
        .get();
    store.seed(Channel.walKey("ch1", 0), chunkOf("ch1", 0, s, 1, 0));
    store.seed(Channel.walKey("ch1", 1), chunkOf("ch1", 1, s, 1, 1));
    metadata.sealStreamlet(s, 1, 2, 1).toCompletableFuture().get();
    boolean[] opened = new boolean[1];
    MetadataStore racing =
        racing(
            (method, real) -> {
              Object result = real.call();
              if (method.equals("listStreamlets") && !opened[0]) {
                // Right after the first list: the older owner opens epoch 2 and acks seq 2.
                // Chained, not joined: this may run on the store's own thread.
                opened[0] = true;
                @SuppressWarnings("unchecked")
                CompletionStage<List<StreamletRecord>> listed =
                    (CompletionStage<List<StreamletRecord>>) result;
                return listed.thenCompose(
                    lets ->
                        metadata
                            .createStreamlet(new StreamletRecord(s, 2, "ch2", 0, null, null))
                            .thenApply(
                                created -> {
                                  store.seed(Channel.walKey("ch2", 0), chunkOf("ch2", 0, s, 2, 2));
                                  return lets;
                                }));
              }
              return result;
            });

    StreamRecovery.Recovered r =
        recovery(store, racing).recover(s).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(r.state().nextSeqNum()).as("the record acked in epoch 2 is recovered").isEqualTo(3);
    assertThat(r.maxEpoch()).as("the epoch the recovery claimed").isEqualTo(3);
    assertThat(metadata.sealStreamlet(s, 2, 3, 0).toCompletableFuture().get())
        .as("the older owner sealing epoch 2")
        .isFalse();
    assertThat(
            metadata
                .createStreamlet(new StreamletRecord(s, 3, "ch2", 1, null, null))
                .toCompletableFuture()
                .get())
        .as("the older owner opening epoch 3")
        .isFalse();
  }

  /** What a racing store does on each call: {@code real} makes the call to {@link #metadata}. */
  private interface Race {
    Object call(String method, Real real) throws Throwable;
  }

  private interface Real {
    Object call() throws Throwable;
  }

  /** {@link #metadata} with every call going through {@code race}. */
  private MetadataStore racing(Race race) {
    return (MetadataStore)
        Proxy.newProxyInstance(
            MetadataStore.class.getClassLoader(),
            new Class<?>[] {MetadataStore.class},
            (proxy, method, args) ->
                race.call(
                    method.getName(),
                    () -> {
                      try {
                        return method.invoke(metadata, args);
                      } catch (InvocationTargetException e) {
                        throw e.getCause();
                      }
                    }));
  }

  private static byte[] chunkOf(String channelId, long seq, String streamId, long epoch, long n) {
    SequencedRecord r =
        new SequencedRecord(n, 1000, List.of(), ("r" + n).getBytes(StandardCharsets.UTF_8));
    return WalChunkCodec.encodeChunk(
        channelId, seq, List.of(new StreamSection(streamId, epoch, List.of(r))));
  }

  private void olderOwnerFlushes(String s) {
    metadata.addSegment(segment(s, 8, 12)).toCompletableFuture().join();
    metadata
        .putStreamState(new StreamStateRecord(s, 13, 13, 1000, "", 0, 1))
        .toCompletableFuture()
        .join();
  }

  private static SegmentRecord segment(String s, long first, long last) {
    return new SegmentRecord(s, first, last, 1000, 1000, "segments/" + s + "/" + first, 100);
  }

  private static Runnable once(Runnable r) {
    boolean[] ran = new boolean[1];
    return () -> {
      synchronized (ran) {
        if (ran[0]) {
          return;
        }
        ran[0] = true;
      }
      r.run();
    };
  }
}
