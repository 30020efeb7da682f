package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.engine.StreamResolver.Access;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamResolverTest {
  private static final StreamConfig DEFAULTS =
      new StreamConfig(null, RetentionPolicy.age(120), null, null);

  private final MetadataStore store = SqliteMetadataStore.inMemory();
  private final ControlPlane control = new ControlPlane(store, Clock.systemUTC());

  @AfterEach
  void close() {
    control.close();
    store.close();
  }

  private void basin(String name, boolean onAppend, boolean onRead) {
    result(control.createBasin(name, new BasinConfig(DEFAULTS, null, onAppend, onRead), null));
  }

  @Test
  void resolvingALiveStreamGivesItsRowWithTheResolvedConfig() {
    basin("plain-basin", false, false);
    result(control.createStream("plain-basin", "orders", null, null));

    StreamRecord row = result(control.resolve("plain-basin", "orders", Access.APPEND));

    assertThat(row.basin()).isEqualTo("plain-basin");
    assertThat(row.name()).isEqualTo("orders");
    assertThat(row.streamId()).isNotBlank();
    assertThat(row.config()).isEqualTo(result(control.getStreamConfig("plain-basin", "orders")));
    assertThat(row.config().retentionPolicy()).isEqualTo(RetentionPolicy.age(120));
  }

  @Test
  void missingThingsAreNotFoundWhenTheBasinDoesNotAutoCreate() {
    basin("plain-basin", false, false);

    assertThat(code(control.resolve("no-such-basin", "s", Access.READ)))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    for (Access access : Access.values()) {
      assertThat(code(control.resolve("plain-basin", "s", access)))
          .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    }
  }

  @Test
  void createOnAppendCreatesOnAppendOnlyWithTheBasinDefaults() {
    basin("append-basin", true, false);

    assertThat(code(control.resolve("append-basin", "s", Access.READ)))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(code(control.resolve("append-basin", "s", Access.CHECK_TAIL)))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    StreamRecord created = result(control.resolve("append-basin", "s", Access.APPEND));

    assertThat(created.config()).isEqualTo(DEFAULTS.resolve(null));
    assertThat(result(control.getStreamConfig("append-basin", "s"))).isEqualTo(created.config());
    assertThat(result(control.resolve("append-basin", "s", Access.READ)).streamId())
        .isEqualTo(created.streamId());
  }

  @Test
  void createOnReadCreatesOnReadAndOnCheckTailButNotOnAppend() {
    basin("read-basin-1", false, true);

    assertThat(code(control.resolve("read-basin-1", "s", Access.APPEND)))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(result(control.resolve("read-basin-1", "r", Access.READ)).name()).isEqualTo("r");
    assertThat(result(control.resolve("read-basin-1", "t", Access.CHECK_TAIL)).name())
        .isEqualTo("t");
  }

  @Test
  void concurrentAutoCreatesOfOneNameAgreeOnOneStreamId() {
    basin("append-basin", true, false);
    List<CompletableFuture<StreamRecord>> all = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      all.add(control.resolve("append-basin", "hot", Access.APPEND).toCompletableFuture());
    }

    List<String> ids = all.stream().map(f -> result(f).streamId()).distinct().toList();

    assertThat(ids).hasSize(1);
    assertThat(result(control.resolve("append-basin", "hot", Access.READ)).streamId())
        .isEqualTo(ids.get(0));
  }

  @Test
  void resolveSeesAReconfigurationAtOnce() {
    basin("plain-basin", false, false);
    result(control.createStream("plain-basin", "s", null, null));
    result(control.resolve("plain-basin", "s", Access.APPEND));

    result(
        control.reconfigureStream(
            "plain-basin",
            "s",
            new StreamReconfiguration(
                Patch.keep(), Patch.set(RetentionPolicy.INFINITE), Patch.keep(), Patch.keep())));

    assertThat(
            result(control.resolve("plain-basin", "s", Access.APPEND)).config().retentionPolicy())
        .isEqualTo(RetentionPolicy.INFINITE);
  }

  @Test
  void resolveSeesDeletionsAtOnce() {
    basin("plain-basin", false, false);
    basin("doomed-basin", false, false);
    result(control.createStream("plain-basin", "s", null, null));
    result(control.createStream("doomed-basin", "s", null, null));
    result(control.resolve("plain-basin", "s", Access.APPEND));
    result(control.resolve("doomed-basin", "s", Access.APPEND));

    result(control.deleteStream("plain-basin", "s"));
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.resolve("plain-basin", "s", Access.APPEND)))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
    assertThat(code(control.resolve("doomed-basin", "s", Access.READ)))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void aStreamPendingDeletionIsNotAutoCreatedAgain() {
    basin("append-basin", true, true);
    result(control.resolve("append-basin", "s", Access.APPEND));
    result(control.deleteStream("append-basin", "s"));

    assertThat(code(control.resolve("append-basin", "s", Access.APPEND)))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
  }
}
