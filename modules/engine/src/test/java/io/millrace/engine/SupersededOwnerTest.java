package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.appended;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.readAllBodiesOnceAnswering;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamletRecord;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Split brain over shared storage (review finding 2): two nodes, each its own one-node cluster over
 * the same object store and metadata store, both run an entity for the same stream. The one that
 * activated first is superseded by the second; its late metadata writes must be refused and it must
 * stop, so that a third activation recovers exactly the acknowledged records of both.
 */
class SupersededOwnerTest {
  // Every flush rotates the streamlet (ADR 0013's 0), so that the owners' epochs move as the cases
  // below expect.
  private static final String OVERRIDES =
      "millrace.engine.segments.flush-age = 1 s\n"
          + "millrace.engine.segments.streamlet-rotation-bytes = 0\n";

  private final DataPlaneFixture fx = new DataPlaneFixture();

  @AfterEach
  void tearDown() {
    fx.close();
  }

  /** A node with its own clock (segment flushes by age happen only when the test advances it). */
  private Node node() {
    Recording metadata = new Recording(fx.metadata);
    TestClock clock = new TestClock(START_MS);
    EngineNode n = fx.start(OVERRIDES, metadata.faulty.store, clock);
    return new Node(n, n.dataPlane, clock, metadata);
  }

  private record Node(EngineNode engine, DataPlane dp, TestClock clock, Recording metadata) {}

  /** The node's metadata, recording the outcome of every fenced owner write it makes. */
  private static final class Recording {
    final FaultyMetadata faulty;
    final List<String> fencedWrites = new CopyOnWriteArrayList<>();

    Recording(MetadataStore real) {
      faulty = new FaultyMetadata(real);
      for (String method :
          List.of("addSegment", "putStreamState", "createStreamlet", "sealStreamlet")) {
        faulty.on(
            method,
            inv -> {
              @SuppressWarnings("unchecked")
              CompletionStage<Boolean> stage = (CompletionStage<Boolean>) inv.proceed().get();
              return stage.thenApply(
                  applied -> {
                    fencedWrites.add(method + (applied ? " applied" : " refused"));
                    return applied;
                  });
            });
      }
    }
  }

  /** The seq num {@code node} appends {@code body} at. */
  private static long seqNumOfAppend(Node node, String stream, String body) {
    return appended(node.dp(), stream, body).start().seqNum();
  }

  /**
   * Advances {@code node}'s clock by 2 s and waits until the stream's segments are {@code ranges}.
   */
  private void flush(Node node, String id, String... ranges) {
    node.clock().advance(2_000);
    awaitSegments(id, ranges);
  }

  @Test
  void aSupersededOwnerFlushingLateIsRefusedStopsAndNoAckedRecordIsLostOrDuplicated() {
    String id = createStream("split");
    Node old = node();
    assertThat(seqNumOfAppend(old, "split", "a0")).isZero();
    assertThat(seqNumOfAppend(old, "split", "a1")).isEqualTo(1);

    // A second owner activates (the first is paused, partitioned, or its handoff timed out).
    Node next = node();
    assertThat(seqNumOfAppend(next, "split", "b0")).isEqualTo(2);
    assertThat(seqNumOfAppend(next, "split", "b1")).isEqualTo(3);
    flush(next, id, "0-3");
    assertThat(seqNumOfAppend(next, "split", "b2")).isEqualTo(4);
    flush(next, id, "0-3", "4-4");
    // Epochs: the old owner claimed 1 and opened 2; the new one claimed 3 and opened 4, and after
    // its first flush (rotation at every flush here) 5.
    Awaitility.await()
        .until(() -> await(fx.metadata.listStreamlets(id)).stream().allMatch(l -> l.epoch() >= 5));

    // The old owner stops gracefully: it flushes a0..a1 from seq num 0 and would seal epoch 1.
    old.metadata().fencedWrites.clear();
    await(old.dp().stop());

    assertThat(old.metadata().fencedWrites)
        .as("its first fenced write is refused and it makes no other")
        .containsExactly("addSegment refused");
    assertThat(segmentRanges(id)).containsExactly("0-3", "4-4");
    assertThat(await(fx.metadata.getStreamState(id)).orElseThrow().epoch()).isEqualTo(5);

    next.engine().crash();
    Node third = node();
    assertThat(readAll(third.dp(), "split")).containsExactly("a0", "a1", "b0", "b1", "b2");
  }

  @Test
  void aSupersededOwnerAppendingAgainIsRefusedRetryablyAndNeverReopensAnOlderEpoch() {
    String id = createStream("zombie");
    Node old = node();
    assertThat(seqNumOfAppend(old, "zombie", "a0")).isZero();

    Node next = node();
    assertThat(seqNumOfAppend(next, "zombie", "b0")).isEqualTo(1);
    flush(next, id, "0-1");
    assertThat(seqNumOfAppend(next, "zombie", "b1")).isEqualTo(2);
    flush(next, id, "0-1", "2-2");
    // Epochs: the old owner claimed 1 and opened 2; the new one claimed 3 (fencing the old one),
    // opened 4 and, after its first flush (rotation at every flush here), 5. Its flushes deleted
    // the streamlets below: only epoch 5 remains.
    Awaitility.await()
        .until(
            () ->
                await(fx.metadata.listStreamlets(id)).stream()
                    .map(StreamletRecord::epoch)
                    .toList()
                    .equals(List.of(5L)));

    // The old owner still believes it owns epoch 1; its channel was sealed by the new owner.
    old.metadata().fencedWrites.clear();
    S2Exception refused = failure(old.dp().append(BASIN, "zombie", input("late")));
    assertThat(refused.code().retryable()).isTrue();
    assertThat(old.metadata().fencedWrites).startsWith("sealStreamlet refused");
    assertThat(old.metadata().fencedWrites).doesNotContain("createStreamlet applied");

    // The client retries; a fresh activation on the old node recovers and appends after b1.
    AppendAck ack = appendRetrying(old.dp(), "zombie", "late");
    assertThat(ack.start().seqNum()).isEqualTo(3);
    assertThat(await(fx.metadata.listStreamlets(id)).stream().map(StreamletRecord::epoch).toList())
        .as("the fresh activation claimed 6 and opened 7, above the new owner's")
        .allMatch(e -> e >= 5)
        .contains(7L);

    old.engine().crash();
    next.engine().crash();
    Node third = node();
    assertThat(readAll(third.dp(), "zombie")).containsExactly("a0", "b0", "b1", "late");
  }

  // ---------------------------------------------------------------- helpers

  /** Waits until the segment index of the stream is exactly these ranges ("first-last"). */
  private void awaitSegments(String id, String... ranges) {
    Awaitility.await().until(() -> segmentRanges(id).equals(List.of(ranges)));
  }

  private List<String> segmentRanges(String id) {
    return await(fx.metadata.listSegments(id)).stream()
        .map(s -> s.firstSeqNum() + "-" + s.lastSeqNum())
        .toList();
  }

  /** Creates stream {@code name} in the basin with no config; its id. */
  private String createStream(String name) {
    fx.resolver.create(BASIN, name, StreamConfig.EMPTY);
    return fx.idOf(name);
  }

  /** Appends like a client: retries while the stream answers that it is restarting. */
  private static AppendAck appendRetrying(DataPlane dp, String stream, String body) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        AppendOutcome o =
            dp.append(BASIN, stream, input(body)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(o).isInstanceOf(AppendOutcome.Appended.class);
        return ((AppendOutcome.Appended) o).ack();
      } catch (ExecutionException e) {
        S2Exception cause = S2Exception.from(e.getCause());
        if (cause.code() != ErrorCode.UNAVAILABLE || System.nanoTime() > deadline) {
          throw new AssertionError("append failed: " + cause, cause);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  private static List<String> readAll(DataPlane dp, String stream) {
    return readAllBodiesOnceAnswering(dp, stream);
  }
}
