package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.S2Exception;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.read.TailFeeds;
import io.millrace.engine.stream.StreamEntity;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Push tailing through the node's tail feeds ({@code read/TailFeeds}) with a real stream entity:
 * readers that wait at the tail like a read session (read from the next seq num with a wait, again
 * and again) get every record once and in order, across the hand-over from catch-up reads to pushed
 * batches; one feed per stream serves them all; a reader too far behind falls back to catch-up
 * reads; a reader that goes away frees its place; a feed ends with its entity and the readers
 * follow the stream to its next activation.
 */
class TailFeedsTest {
  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final List<Tailer> tailers = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Tailer t : tailers) {
      t.stop();
    }
    fx.close();
  }

  private final TestClock clock = new TestClock(START_MS);

  private DataPlane node(String overrides) {
    return fx.start(overrides, clock).dataPlane;
  }

  /** A read that waits at the tail from {@code seq}: at most {@code count} records. */
  private static ReadRequest tailRead(long seq, long count, int waitSecs) {
    return new ReadRequest(new ReadStart.SeqNum(seq), false, count, null, null, waitSecs);
  }

  private static TailFeeds.Stats stats(DataPlane dp) {
    return await(dp.tailFeedStats());
  }

  /** Appends {@code n} records "r<i>" from {@code from}, in batches of 1 to 5 records. */
  private static void appendRecords(DataPlane dp, String stream, int from, int n) {
    int i = from;
    while (i < from + n) {
      int size = Math.min(1 + i % 5, from + n - i);
      String[] bodies = new String[size];
      for (int k = 0; k < size; k++) {
        bodies[k] = "r" + (i + k);
      }
      appended(dp, stream, bodies);
      i += size;
    }
  }

  /** Like a read session: reads from its next seq num with a wait, again and again. */
  private final class Tailer implements Runnable {
    final DataPlane dp;
    final String stream;
    final long count;
    final List<SequencedRecord> received = new CopyOnWriteArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread = new Thread(this, "tailer");
    volatile Throwable failure;

    Tailer(DataPlane dp, String stream, long count) {
      this.dp = dp;
      this.stream = stream;
      this.count = count;
      tailers.add(this);
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void run() {
      long next = 0;
      try {
        while (running.get()) {
          ReadOutcome o;
          try {
            o = dp.read(BASIN, stream, tailRead(next, count, 2)).toCompletableFuture().get();
          } catch (ExecutionException e) {
            if (S2Exception.from(e.getCause()).code().retryable()) {
              continue; // like a client: a stream that is moving answers "retry"
            }
            throw e;
          }
          if (o instanceof ReadOutcome.Batch b && !b.batch().records().isEmpty()) {
            received.addAll(b.batch().records());
            next = b.batch().records().get(b.batch().records().size() - 1).seqNum() + 1;
          }
        }
      } catch (Throwable t) {
        if (running.get()) {
          failure = t;
        }
      }
    }

    void awaitCount(int n) {
      Awaitility.await().until(() -> failure != null || received.size() >= n);
      assertThat(failure).isNull();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }

  private static List<Long> seqs(List<SequencedRecord> records) {
    return records.stream().map(SequencedRecord::seqNum).toList();
  }

  private static List<Long> range(long n) {
    return LongStream.range(0, n).boxed().toList();
  }

  @Test
  void tailingReadersGetEveryRecordOnceAndInOrderFromOneFeedPerStream() {
    DataPlane dp = node("");
    String s = fx.stream("fan-out");
    appendRecords(dp, s, 0, 40); // the readers start behind the tail: catch-up first
    List<Tailer> readers =
        List.of(new Tailer(dp, s, 1000), new Tailer(dp, s, 7), new Tailer(dp, s, 3));
    appendRecords(dp, s, 40, 200);
    for (Tailer t : readers) {
      t.awaitCount(240);
      assertThat(seqs(t.received)).isEqualTo(range(240));
      assertThat(t.received.stream().map(DataPlaneFixture::body).toList())
          .isEqualTo(LongStream.range(0, 240).mapToObj(i -> "r" + i).toList());
    }
    TailFeeds.Stats st = stats(dp);
    assertThat(st.feeds()).isEqualTo(1);
    assertThat(st.liveFeeds()).isEqualTo(1);
    // Small readers come back behind the tail and are answered from the feed's recent records.
    assertThat(st.servedFromRecent()).isPositive();
  }

  @Test
  void aReaderBeyondTheRecentRecordsFallsBackToCatchUpReadsAndHoldsBackNoOne() {
    DataPlane dp = node("millrace.engine.tail-feeds.recent-records = 10\n");
    String s = fx.stream("slow");
    Tailer fast = new Tailer(dp, s, 1000);
    Awaitility.await().until(() -> stats(dp).waiters() == 1);
    // Nobody reads the slow reader's way meanwhile: the writer and the fast reader go on.
    appendRecords(dp, s, 0, 200);
    fast.awaitCount(200);
    long fellBackBefore = stats(dp).fellBack();

    List<SequencedRecord> slow = new ArrayList<>();
    long next = 0;
    while (next < 200) {
      ReadOutcome o = await(dp.read(BASIN, s, tailRead(next, 25, 2)));
      List<SequencedRecord> page = ((ReadOutcome.Batch) o).batch().records();
      slow.addAll(page);
      next = page.get(page.size() - 1).seqNum() + 1;
    }
    assertThat(seqs(slow)).isEqualTo(range(200));
    assertThat(body(slow.get(199))).isEqualTo("r199");
    // Positions behind the 10 recent records were read from the entity (catch-up reads).
    assertThat(stats(dp).fellBack() - fellBackBefore).isGreaterThanOrEqualTo(7);
    assertThat(seqs(fast.received)).isEqualTo(range(200));
  }

  @Test
  void aReaderThatGoesAwayFreesItsPlaceAtTheTail() {
    DataPlane dp = node("");
    String s = fx.stream("gone");
    appended(dp, s, "a");
    // The first tailing read of the stream on this node starts its feed.
    await(dp.read(BASIN, s, tailRead(0, 10, 1)));
    Awaitility.await().until(() -> stats(dp).liveFeeds() == 1);

    CompletableFuture<ReadOutcome> waiting =
        dp.read(BASIN, s, tailRead(1, 10, 60)).toCompletableFuture();
    Awaitility.await().until(() -> stats(dp).waiters() == 1);
    waiting.cancel(false);
    Awaitility.await().until(() -> stats(dp).waiters() == 0);

    // The feed still serves the next reader.
    CompletableFuture<ReadOutcome> next =
        dp.read(BASIN, s, tailRead(1, 10, 60)).toCompletableFuture();
    Awaitility.await().until(() -> stats(dp).waiters() == 1);
    appended(dp, s, "b");
    assertThat(seqs(((ReadOutcome.Batch) await(next)).batch().records())).containsExactly(1L);
  }

  @Test
  void aFeedEndsWhenItsEntityStopsAndItsReadersFollowTheNextActivation() {
    // A request sent to the entity while it stops on its own is lost (a real handoff buffers it in
    // the shard): the reader retries once its read times out.
    DataPlane dp = node("millrace.engine.ask-timeout = 2 s\n");
    String s = fx.stream("moving");
    Tailer reader = new Tailer(dp, s, 1000);
    appendRecords(dp, s, 0, 50);
    reader.awaitCount(50);
    Awaitility.await().until(() -> stats(dp).waiters() == 1);

    // The entity stops as for a handoff to another node: its feed ends, the waiting reader reads
    // the entity directly and finds the stream's next activation.
    ClusterSharding.get(fx.nodes().get(0).testKit.system())
        .entityRefFor(StreamEntity.TYPE_KEY, fx.idOf(s))
        .tell(new StreamEntity.Passivate());
    Awaitility.await().until(() -> dp.metrics().segmentFlushes.sum() == 1); // it drained

    appendRecords(dp, s, 50, 100);
    reader.awaitCount(150);
    assertThat(seqs(reader.received)).isEqualTo(range(150));
    // The reader's feed subscribed again, to the new activation.
    Awaitility.await().until(() -> stats(dp).subscriptions() >= 2 && stats(dp).liveFeeds() == 1);
  }

  @Test
  void anUnusedFeedUnsubscribesSoThatItsEntityCanPassivate() {
    DataPlane dp =
        node(
            "millrace.engine.tail-feeds.linger = 300 ms\n"
                + "millrace.engine.passivation-idle-time = 300 ms\n"
                + "millrace.engine.segments.flush-age = 1 h\n");
    String s = fx.stream("idle");
    appended(dp, s, "a");
    // The first tailing read of the stream on this node subscribes its feed.
    assertThat(
            seqs(
                ((ReadOutcome.Batch) await(dp.read(BASIN, s, tailRead(0, 10, 1))))
                    .batch()
                    .records()))
        .containsExactly(0L);
    assertThat(stats(dp).subscriptions()).isEqualTo(1);
    long activations = dp.metrics().activations.sum();

    // No reader for longer than the linger: the feed goes, then the idle entity passivates.
    Awaitility.await().until(() -> stats(dp).feeds() == 0);
    // Passivating, the entity flushes its one record into a segment (nothing else flushes it: the
    // flush age is an hour); its idle time runs on its own clock.
    Awaitility.await()
        .until(
            () -> {
              clock.advance(400);
              return dp.metrics().segmentFlushes.sum() == 1;
            });
    // A new tailing reader subscribes to the new activation and is pushed its records.
    Tailer reader = new Tailer(dp, s, 1000);
    reader.awaitCount(1);
    Awaitility.await().until(() -> stats(dp).waiters() == 1);
    appended(dp, s, "b");
    reader.awaitCount(2);
    assertThat(seqs(reader.received)).isEqualTo(range(2));
    assertThat(dp.metrics().activations.sum()).isGreaterThan(activations);
    assertThat(stats(dp).subscriptions()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aStreamWhoseOnlyReadersAreFedIsNotPassivatedByShardingsIdleTimer() throws Exception {
    // Pekko's own idle passivation counts only messages through the shard, which a fed reader never
    // sends; with it on (Pekko's default, 120 s) such an entity stopped and started again every
    // idle-entity.timeout. The engine's passivation-idle-time, which counts waiting readers, is the
    // only one (docs/configuration.md, `passivation-idle-time`).
    DataPlane dp =
        node(
            "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout = 1 s\n"
                + "millrace.engine.passivation-idle-time = 1 h\n");
    String s = fx.stream("fed");
    appended(dp, s, "a");
    Tailer reader = new Tailer(dp, s, 1000);
    reader.awaitCount(1);
    Awaitility.await().until(() -> stats(dp).waiters() == 1);
    long activations = dp.metrics().activations.sum();

    Thread.sleep(3000); // three of the shard's idle timeouts, nothing through the shard

    appended(dp, s, "b");
    reader.awaitCount(2);
    assertThat(seqs(reader.received)).isEqualTo(range(2));
    assertThat(dp.metrics().activations.sum()).isEqualTo(activations);
  }
}
