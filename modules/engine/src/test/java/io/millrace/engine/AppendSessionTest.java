package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.SequencedRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pipelined append sessions of the data plane: order, in-flight batches, poisoning. */
class AppendSessionTest {
  private final DataPlaneFixture fx = new DataPlaneFixture();
  private EngineNode node;

  @BeforeEach
  void setUp() {
    node = fx.start("", new TestClock(START_MS));
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static AppendInput batch(Long matchSeqNum, String... bodies) {
    List<AppendRecord> rs = new ArrayList<>();
    for (String b : bodies) {
      rs.add(new AppendRecord(null, List.of(), b.getBytes(StandardCharsets.UTF_8)));
    }
    return new AppendInput(rs, matchSeqNum, null);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private List<String> bodies(String stream) throws Exception {
    ReadOutcome o =
        await(
            node.dataPlane.read(
                BASIN,
                stream,
                new ReadRequest(new ReadStart.SeqNum(0), false, 1000L, 1024L * 1024, null, null)));
    return ((ReadOutcome.Batch) o)
        .batch().records().stream()
            .map(SequencedRecord::body)
            .map(b -> new String(b, StandardCharsets.UTF_8))
            .toList();
  }

  @Test
  void manyBatchesInFlightAreAppendedAndAckedInSubmissionOrder() throws Exception {
    fx.resolver.create(BASIN, "s", StreamConfig.EMPTY);
    AppendSession session = node.dataPlane.openAppendSession(BASIN, "s");
    List<CompletionStage<AppendOutcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      // Every batch names the seq num it must start at: any reordering would be a 412.
      outcomes.add(session.submit(batch((long) i, "r" + i)));
    }
    for (int i = 0; i < 200; i++) {
      AppendOutcome o = await(outcomes.get(i));
      assertThat(o).isInstanceOf(AppendOutcome.Appended.class);
      assertThat(((AppendOutcome.Appended) o).ack().start().seqNum()).isEqualTo(i);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      expected.add("r" + i);
    }
    assertThat(bodies("s")).containsExactlyElementsOf(expected);
  }

  @Test
  void afterARejectedBatchNoLaterBatchOfTheSessionIsAppended() throws Exception {
    fx.resolver.create(BASIN, "s", StreamConfig.EMPTY);
    AppendSession session = node.dataPlane.openAppendSession(BASIN, "s");
    CompletionStage<AppendOutcome> first = session.submit(batch(0L, "one"));
    CompletionStage<AppendOutcome> mismatch = session.submit(batch(42L, "two"));
    List<CompletionStage<AppendOutcome>> after = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      after.add(session.submit(batch(null, "after" + i)));
    }
    assertThat(await(first)).isInstanceOf(AppendOutcome.Appended.class);
    assertThat(await(mismatch)).isEqualTo(new AppendOutcome.SeqNumMismatch(1));
    for (CompletionStage<AppendOutcome> a : after) {
      try {
        AppendOutcome o = await(a);
        assertThat(o).isNotInstanceOf(AppendOutcome.Appended.class);
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(S2Exception.class);
      }
    }
    assertThat(bodies("s")).containsExactly("one");
    // Another session on the same stream is not affected.
    AppendSession other = node.dataPlane.openAppendSession(BASIN, "s");
    assertThat(await(other.submit(batch(1L, "other")))).isInstanceOf(AppendOutcome.Appended.class);
    assertThat(bodies("s")).containsExactly("one", "other");
  }

  @Test
  void anInvalidBatchFailsAsInvalidAndNoLaterBatchOfTheSessionIsAppended() throws Exception {
    fx.resolver.create(BASIN, "s", StreamConfig.EMPTY);
    AppendSession session = node.dataPlane.openAppendSession(BASIN, "s");
    CompletionStage<AppendOutcome> first = session.submit(batch(0L, "one"));
    CompletionStage<AppendOutcome> empty = session.submit(batch(null));
    CompletionStage<AppendOutcome> later = session.submit(batch(null, "later"));

    assertThat(await(first)).isInstanceOf(AppendOutcome.Appended.class);
    S2Exception invalid = failureOf(empty);
    assertThat(invalid.code()).isEqualTo(ErrorCode.INVALID);
    assertThat(invalid.getMessage()).contains("at least one record");
    assertThat(failureOf(later).code()).isEqualTo(ErrorCode.INVALID);
    assertThat(bodies("s")).containsExactly("one");
  }

  private static S2Exception failureOf(CompletionStage<AppendOutcome> stage) throws Exception {
    try {
      await(stage);
      throw new AssertionError("expected a failure");
    } catch (java.util.concurrent.ExecutionException e) {
      return S2Exception.from(e.getCause());
    }
  }

  @Test
  void aMissingStreamFailsEveryBatchWithNotFound() throws Exception {
    AppendSession session = node.dataPlane.openAppendSession(BASIN, "missing");
    try {
      await(session.submit(batch(null, "x")));
      throw new AssertionError("expected a failure");
    } catch (java.util.concurrent.ExecutionException e) {
      assertThat(S2Exception.from(e.getCause()).code()).isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    }
  }
}
