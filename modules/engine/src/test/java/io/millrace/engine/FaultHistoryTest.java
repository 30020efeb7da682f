package io.millrace.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.SequencedRecord;
import io.millrace.objectstore.ObjectStoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pipelined appends to a few streams under random chunk-write failures (clean and ambiguous), then
 * a crash and recovery: the history must hold every acknowledged record exactly once at the seq num
 * it was acknowledged with, dense seq nums, and nothing that was never appended.
 */
class FaultHistoryTest {
  private static final String BASIN = "history-basin";
  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(1_000_000);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private DataPlane node() {
    return fx.start(
            "millrace.engine.channels.write-retries = 1\n"
                + "millrace.engine.channels.write-retry-backoff = 1 ms\n"
                + "millrace.engine.segments.flush-bytes = 2000\n",
            clock)
        .dataPlane;
  }

  private record Sent(String stream, String body, CompletionStage<AppendOutcome> outcome) {}

  @Test
  void underRandomWriteFailuresAckedRecordsSurviveACrashExactlyOnceWithDenseSeqNums()
      throws Exception {
    Random random = new Random(42);
    fx.objects.failPuts(
        k -> k.startsWith("wal/") && random.nextInt(100) < 15,
        Integer.MAX_VALUE,
        () -> new ObjectStoreException("injected failure"));
    fx.objects.failPutsAfterWrite(
        k -> k.startsWith("wal/") && random.nextInt(100) < 10,
        Integer.MAX_VALUE,
        () -> new ObjectStoreException("injected ambiguous failure"));
    DataPlane dp = node();
    List<String> streams = List.of("h-0", "h-1", "h-2");
    streams.forEach(s -> fx.resolver.create(BASIN, s, StreamConfig.EMPTY));

    List<Sent> sent = new ArrayList<>();
    int n = 0;
    for (int round = 0; round < 30; round++) {
      List<Sent> wave = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String s = streams.get(random.nextInt(streams.size()));
        String body = "rec-" + (n++);
        AppendInput in =
            new AppendInput(
                List.of(new AppendRecord(null, List.of(), body.getBytes(StandardCharsets.UTF_8))),
                null,
                null);
        wave.add(new Sent(s, body, dp.append(BASIN, s, in)));
      }
      for (Sent w : wave) {
        try {
          w.outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertThat(S2Exception.from(e.getCause()).code().retryable()).isTrue();
        }
      }
      sent.addAll(wave);
    }

    Map<String, Long> ackedAt = new HashMap<>();
    Set<String> failed = new HashSet<>();
    for (Sent w : sent) {
      try {
        AppendOutcome o = w.outcome().toCompletableFuture().get();
        ackedAt.put(w.body(), ((AppendOutcome.Appended) o).ack().start().seqNum());
      } catch (ExecutionException e) {
        failed.add(w.body());
      }
    }
    assertThat(ackedAt).isNotEmpty();
    assertThat(failed).isNotEmpty();

    fx.nodes().get(0).crash();
    fx.objects.clearFaults();
    DataPlane after = node();

    Set<String> seen = new HashSet<>();
    for (String s : streams) {
      long tail =
          after.checkTail(BASIN, s).toCompletableFuture().get(30, TimeUnit.SECONDS).seqNum();
      long next = 0;
      while (next < tail) {
        ReadOutcome o =
            after
                .read(
                    BASIN,
                    s,
                    new ReadRequest(new ReadStart.SeqNum(next), false, null, null, null, null))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        List<SequencedRecord> page = ((ReadOutcome.Batch) o).batch().records();
        assertThat(page).isNotEmpty();
        for (SequencedRecord r : page) {
          assertThat(r.seqNum()).isEqualTo(next);
          String body = new String(r.body(), StandardCharsets.UTF_8);
          assertThat(seen.add(body)).as("record %s appears once", body).isTrue();
          if (ackedAt.containsKey(body)) {
            assertThat(r.seqNum()).as("seq num of acked %s", body).isEqualTo(ackedAt.get(body));
          } else {
            assertThat(failed).as("unacked record %s was appended and failed", body).contains(body);
          }
          next++;
        }
      }
    }
    assertThat(seen).containsAll(ackedAt.keySet());
  }
}
