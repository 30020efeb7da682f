package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.engine.StreamDataEraser;
import io.millrace.engine.StreamResolver.Access;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The steps of {@link StreamDeletion}, run one by one without the background sweeps. */
class StreamDeletionTest {
  private static final String BASIN = "test-basin";

  private final MetadataStore store = SqliteMetadataStore.inMemory();
  private final ControlPlane control = new ControlPlane(store, Clock.systemUTC());
  private final StreamDeletion deletion =
      new StreamDeletion(new ControlContext(store, Clock.systemUTC(), new ResolvedStreams()));
  private final FakeEraser eraser = new FakeEraser();

  @BeforeEach
  void basin() {
    result(control.createBasin(BASIN, null, null));
  }

  @AfterEach
  void close() {
    control.close();
    store.close();
  }

  private String create(String basin, String stream) {
    result(control.createStream(basin, stream, null, null));
    return result(control.resolve(basin, stream, Access.READ)).streamId();
  }

  private boolean rowExists(String basin, String stream) {
    return result(store.getStream(basin, stream)).isPresent();
  }

  @Test
  void aMarkedStreamIsErasedWhileItsRowStillExistsAndThenTheRowIsRemoved() {
    String id = create(BASIN, "orders");
    List<Boolean> rowThereAtErase = new CopyOnWriteArrayList<>();
    StreamDataEraser checking =
        // Asynchronous on purpose: the eraser may be called on the store's own thread, where a
        // blocking read of the same store would wait for itself.
        streamId ->
            store
                .getStream(BASIN, "orders")
                .thenCompose(
                    row -> {
                      rowThereAtErase.add(row.isPresent());
                      return eraser.erase(streamId);
                    });
    result(deletion.delete(BASIN, "orders"));
    assertThat(code(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);

    result(deletion.finishStream(checking, BASIN, "orders", false));

    assertThat(eraser.erased()).containsExactly(id);
    assertThat(rowThereAtErase).containsExactly(true);
    assertThat(rowExists(BASIN, "orders")).isFalse();
    assertThat(code(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
  }

  @Test
  void aLiveStreamIsNotErasedUnlessItsBasinIsBeingDeleted() {
    create(BASIN, "live");

    result(deletion.finishStream(eraser, BASIN, "live", false));
    result(deletion.finishStream(eraser, BASIN, "gone", false));

    assertThat(eraser.calls()).isEmpty();
    assertThat(rowExists(BASIN, "live")).isTrue();
  }

  @Test
  void aFailedEraseLeavesTheRowMarkedAndTheNextAttemptFinishesIt() {
    String id = create(BASIN, "orders");
    result(deletion.delete(BASIN, "orders"));
    eraser.failNext(1);

    assertThat(deletion.finishStream(eraser, BASIN, "orders", false).toCompletableFuture())
        .failsWithin(Duration.ofSeconds(30));
    assertThat(result(store.getStream(BASIN, "orders")).orElseThrow().deletedAt()).isNotNull();

    result(deletion.finishStream(eraser, BASIN, "orders", false));
    assertThat(eraser.calls()).containsExactly(id, id);
    assertThat(rowExists(BASIN, "orders")).isFalse();
  }

  @Test
  void finishingADeletedBasinMarksErasesAndRemovesEachOfItsStreamsThenItsRow() {
    result(control.createBasin("doomed-basin", null, null));
    String a = create("doomed-basin", "a");
    String b = create("doomed-basin", "b");
    result(control.deleteBasin("doomed-basin"));
    assertThat(result(store.getStream("doomed-basin", "a")).orElseThrow().deletedAt()).isNull();

    result(deletion.finishBasin(eraser, "doomed-basin"));

    assertThat(eraser.erased()).containsExactly(a, b);
    assertThat(result(store.listStreams("doomed-basin", "", "", 10))).isEmpty();
    assertThat(result(store.getBasin("doomed-basin"))).isEmpty();
  }

  @Test
  void aBasinThatIsNotBeingDeletedIsLeftAlone() {
    create(BASIN, "orders");

    result(deletion.finishBasin(eraser, BASIN));
    result(deletion.finishBasin(eraser, "no-such-basin"));

    assertThat(eraser.calls()).isEmpty();
    assertThat(result(store.getBasin(BASIN))).isPresent();
    assertThat(rowExists(BASIN, "orders")).isTrue();
  }
}
