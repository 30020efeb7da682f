package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.AppendOutcome;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.metadata.StreamRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** What an append session tells the stream entity with each batch it sends. */
class EngineAppendSessionTest {
  private static final StreamRecord STREAM =
      new StreamRecord(
          "basin", "stream", "id-1", StreamConfig.EMPTY, Instant.EPOCH, null, null, null, 1);

  private final List<Boolean> afterUnanswered = new ArrayList<>();
  private final List<CompletableFuture<AppendOutcome>> answers = new ArrayList<>();

  private EngineAppendSession session() {
    return new EngineAppendSession(
        "session-1",
        () -> CompletableFuture.completedFuture(STREAM),
        (stream, sessionId, input, after) -> {
          afterUnanswered.add(after);
          CompletableFuture<AppendOutcome> answer = new CompletableFuture<>();
          answers.add(answer);
          return answer;
        });
  }

  private static AppendInput batch(String body) {
    return new AppendInput(
        List.of(AppendRecord.of(body.getBytes(StandardCharsets.UTF_8))), null, null);
  }

  private static AppendOutcome appended(long seq) {
    StreamPosition p = new StreamPosition(seq, 0);
    return new AppendOutcome.Appended(new AppendAck(p, p, p));
  }

  @Test
  void eachBatchSaysWhetherAnEarlierBatchWasStillUnansweredWhenItWasSent() {
    EngineAppendSession s = session();

    CompletionStage<AppendOutcome> first = s.submit(batch("1"));
    s.submit(batch("2"));
    s.submit(batch("3"));
    answers.get(0).complete(appended(0));
    answers.get(1).complete(appended(1));
    answers.get(2).complete(appended(2));
    s.submit(batch("4"));

    assertThat(first.toCompletableFuture().join()).isInstanceOf(AppendOutcome.Appended.class);
    assertThat(afterUnanswered).containsExactly(false, true, true, false);
  }

  @Test
  void aBatchSentWhileOnlyALaterOneIsUnansweredStillSaysSo() {
    EngineAppendSession s = session();

    s.submit(batch("1"));
    s.submit(batch("2"));
    answers.get(0).complete(appended(0));
    s.submit(batch("3"));

    assertThat(afterUnanswered).containsExactly(false, true, true);
  }
}
