package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.StreamInfo;
import io.millrace.engine.StreamResolver.Access;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackgroundDeletionTest {
  private static final Duration SWEEP = Duration.ofMillis(50);
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final MetadataStore store = SqliteMetadataStore.inMemory();
  private final FakeEraser eraser = new FakeEraser();
  private final List<ControlPlane> planes = new ArrayList<>();

  @AfterEach
  void close() {
    planes.forEach(ControlPlane::close);
    store.close();
  }

  private ControlPlane plane() {
    ControlPlane p = new ControlPlane(store, Clock.systemUTC());
    planes.add(p);
    return p;
  }

  /**
   * A plane deleting in the background every {@link #SWEEP}, with {@code streams} in test-basin.
   */
  private ControlPlane sweepingPlaneWith(String... streams) {
    ControlPlane control = plane();
    control.startBackgroundDeletion(eraser, SWEEP);
    result(control.createBasin("test-basin", null, null));
    for (String stream : streams) {
      result(control.createStream("test-basin", stream, null, null));
    }
    return control;
  }

  private String streamId(ControlPlane control, String basin, String stream) {
    return result(control.resolve(basin, stream, Access.READ)).streamId();
  }

  private boolean streamRowGone(String basin, String stream) {
    return result(store.getStream(basin, stream)).isEmpty();
  }

  /** Deletes {@code stream} of test-basin and waits until its row is gone; its id. */
  private String deleteAndAwaitRemoval(ControlPlane control, String stream) {
    String id = streamId(control, "test-basin", stream);
    result(control.deleteStream("test-basin", stream));
    await().atMost(PATIENCE).until(() -> streamRowGone("test-basin", stream));
    return id;
  }

  @Test
  void aDeletedStreamIsErasedThenRemovedAndItsNameCanBeCreatedAgainWithANewId() {
    ControlPlane control = sweepingPlaneWith("orders", "keep");
    String oldId = deleteAndAwaitRemoval(control, "orders");

    assertThat(eraser.erased()).containsExactly(oldId);
    assertThat(code(control.getStreamConfig("test-basin", "orders")))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(result(control.listStreams("test-basin", new ListRequest("", "", 10))).items())
        .extracting(StreamInfo::name)
        .containsExactly("keep");
    assertThat(result(control.createStream("test-basin", "orders", null, null)).result())
        .isEqualTo(ProvisionResult.CREATED);
    assertThat(streamId(control, "test-basin", "orders")).isNotEqualTo(oldId);
  }

  @Test
  void aDeletedBasinLosesAllItsStreamsAndThenItsNameIsFree() {
    ControlPlane control = plane();
    control.startBackgroundDeletion(eraser, SWEEP);
    result(control.createBasin("doomed-basin", null, null));
    List<String> ids = new ArrayList<>();
    for (String s : new String[] {"a", "b", "c"}) {
      result(control.createStream("doomed-basin", s, null, null));
      ids.add(streamId(control, "doomed-basin", s));
    }
    result(control.deleteStream("doomed-basin", "b"));

    result(control.deleteBasin("doomed-basin"));

    await().atMost(PATIENCE).until(() -> result(store.getBasin("doomed-basin")).isEmpty());
    assertThat(eraser.erased()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(result(store.listStreams("doomed-basin", "", "", 10))).isEmpty();
    assertThat(code(control.getBasinConfig("doomed-basin"))).isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(result(control.createBasin("doomed-basin", null, null)).result())
        .isEqualTo(ProvisionResult.CREATED);
    assertThat(result(control.listStreams("doomed-basin", new ListRequest("", "", 10))).items())
        .isEmpty();
  }

  @Test
  void deletionsLeftPendingByAnEarlierRunAreFinishedAfterARestart() {
    ControlPlane before = plane();
    result(before.createBasin("test-basin", null, null));
    result(before.createBasin("doomed-basin", null, null));
    result(before.createStream("test-basin", "orders", null, null));
    result(before.createStream("doomed-basin", "x", null, null));
    String ordersId = streamId(before, "test-basin", "orders");
    String xId = streamId(before, "doomed-basin", "x");
    result(before.deleteStream("test-basin", "orders"));
    result(before.deleteBasin("doomed-basin"));
    before.close();
    assertThat(eraser.calls()).isEmpty();

    ControlPlane after = plane();
    after.startBackgroundDeletion(eraser, Duration.ofHours(1));

    await()
        .atMost(PATIENCE)
        .until(
            () ->
                streamRowGone("test-basin", "orders")
                    && result(store.getBasin("doomed-basin")).isEmpty());
    assertThat(eraser.erased()).containsExactlyInAnyOrder(ordersId, xId);
    assertThat(result(store.getBasin("test-basin"))).isPresent();
  }

  @Test
  void aFailedEraseIsRetriedAndTheRowStaysUntilTheDataIsGone() {
    eraser.failNext(2);
    ControlPlane control = sweepingPlaneWith("orders");
    String id = deleteAndAwaitRemoval(control, "orders");

    assertThat(eraser.calls()).hasSizeGreaterThanOrEqualTo(3).containsOnly(id);
    assertThat(eraser.erased()).containsExactly(id);
  }

  @Test
  void whileTheEraseKeepsFailingTheStreamStaysPendingDeletion() {
    eraser.failNext(Integer.MAX_VALUE);
    ControlPlane control = sweepingPlaneWith("orders");

    result(control.deleteStream("test-basin", "orders"));

    await().atMost(PATIENCE).until(() -> eraser.calls().size() >= 3);
    StreamRecord row = result(store.getStream("test-basin", "orders")).orElseThrow();
    assertThat(row.deletedAt()).isNotNull();
    assertThat(code(control.createStream("test-basin", "orders", null, null)))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
  }

  @Test
  void aLiveStreamIsNeverErased() {
    ControlPlane control = sweepingPlaneWith("live", "dead");
    String deadId = deleteAndAwaitRemoval(control, "dead");

    assertThat(eraser.calls()).containsOnly(deadId);
    assertThat(result(store.getStream("test-basin", "live"))).isPresent();
  }
}
