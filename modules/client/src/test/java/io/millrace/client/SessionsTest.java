package io.millrace.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.ReadLimit;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.StreamConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Append and read sessions against {@link FakeS2Server}: order, backpressure, failure, resume. */
class SessionsTest {
  private FakeS2Server server;
  private MillraceClient client;
  private StreamClient stream;

  @BeforeEach
  void start() {
    server = new FakeS2Server();
    client =
        MillraceClient.create(
            ClientConfig.builder(server.endpoint())
                .accessToken(FakeS2Server.TOKEN)
                .retry(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5)))
                .maxInflightBatches(2)
                .build());
    client.createBasin("b", BasinConfig.getDefaultInstance()).toCompletableFuture().join();
    client
        .basin("b")
        .createStream("s", StreamConfig.getDefaultInstance())
        .toCompletableFuture()
        .join();
    stream = client.basin("b").stream("s");
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void submitWaitsWhileMaxInflightBatchesAreUnacknowledged() throws Exception {
    server.holdAcks = new CompletableFuture<>();
    AppendSession session = stream.appendSession();
    List<CompletableFuture<AppendOutput>> acks = new CopyOnWriteArrayList<>();
    Thread producer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 5; i++) {
                  acks.add(
                      session
                          .submit(Records.append(List.of(Records.of("x" + i))))
                          .toCompletableFuture());
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    producer.start();
    org.awaitility.Awaitility.await()
        .until(() -> producer.getState() == Thread.State.WAITING && acks.size() == 2);
    assertThat(session.inflight()).isEqualTo(2);
    assertThat(acks).noneMatch(CompletableFuture::isDone);
    server.holdAcks.complete(null);
    server.holdAcks = null;
    producer.join();
    session.close();
    assertThat(acks).hasSize(5);
    assertThat(acks.get(4).join().getStartSeqNum()).isEqualTo(4);
  }

  @Test
  void theFirstFailureEndsTheSessionAndFailsWhatFollows() throws Exception {
    server.failAppendSessionAt = 3;
    server.holdAcks = null;
    List<CompletableFuture<AppendOutput>> acks = new ArrayList<>();
    AppendSession session = stream.appendSession();
    for (int i = 0; i < 2; i++) {
      acks.add(session.submit(Records.append(List.of(Records.of("ok" + i)))).toCompletableFuture());
      acks.get(i).join();
    }
    acks.add(session.submit(Records.append(List.of(Records.of("refused")))).toCompletableFuture());
    CompletionException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            CompletionException.class, () -> acks.get(2).join());
    S2Error err = S2Error.from(e);
    assertThat(err.status()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(session.failure()).isNotNull();
    CompletableFuture<AppendOutput> after =
        session.submit(Records.append(List.of(Records.of("late")))).toCompletableFuture();
    assertThat(after).isCompletedExceptionally();
    session.close();
    assertThat(server.records("b", "s").stream().map(Records::bodyText))
        .containsExactly("ok0", "ok1");
  }

  @Test
  void aReadSessionResumesAfterTheLastRecordItDeliveredWhenCutOff() {
    for (int i = 0; i < 10; i++) {
      stream.append(List.of(Records.of("m" + i))).toCompletableFuture().join();
    }
    server.dropReadSessionAfter = 4;
    RecordingListener listener = new RecordingListener();
    ReadSession session =
        stream.readSession(
            ReadSessionRequest.newBuilder()
                .setSeqNum(0)
                .setLimit(ReadLimit.newBuilder().setCount(10))
                .build(),
            listener);
    assertThat(session.done().toCompletableFuture().join()).isEqualTo(10);
    assertThat(listener.bodies)
        .containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
    assertThat(listener.causes).allMatch(S2Error::retryable);
    assertThat(listener.reconnects).containsExactly(4L);
    assertThat(server.readSessions).hasSize(2);
    ReadSessionRequest resumed = server.readSessions.get(1);
    assertThat(resumed.getSeqNum()).isEqualTo(4);
    assertThat(resumed.getLimit().getCount()).isEqualTo(6);
  }

  @Test
  void aReadSessionWithHeartbeatsReconnectsWhenTheServerFallsSilentAndStillDelivers() {
    try (MillraceClient watchful =
        MillraceClient.create(
            ClientConfig.builder(server.endpoint())
                .accessToken(FakeS2Server.TOKEN)
                .retry(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5)))
                .heartbeatTimeout(Duration.ofMillis(300))
                .build())) {
      RecordingListener listener = new RecordingListener();
      // the fake sends one heartbeat at the tail and then nothing until there is a record
      ReadSession session =
          watchful.basin("b").stream("s")
              .readSession(
                  ReadSessionRequest.newBuilder().setSeqNum(0).setHeartbeats(true).build(),
                  listener);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !listener.causes.isEmpty());
      assertThat(listener.causes.get(0).code()).isEqualTo("request_timeout");
      assertThat(listener.causes).allMatch(S2Error::retryable);
      assertThat(listener.reconnects).allMatch(next -> next == -1L);

      stream.append(List.of(Records.of("after"))).toCompletableFuture().join();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> listener.bodies.contains("after"));
      session.cancel();
      assertThat(session.done().toCompletableFuture().join()).isEqualTo(1);
      assertThat(listener.bodies).containsExactly("after");
    }
  }

  @Test
  void aReadSessionOnAMissingStreamFailsWithoutRetrying() {
    ReadSession session =
        client.basin("b").stream("missing")
            .readSession(ReadSessionRequest.newBuilder().setSeqNum(0).build(), records -> {});
    CompletionException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            CompletionException.class, () -> session.done().toCompletableFuture().join());
    assertThat(S2Error.from(e).code()).isEqualTo("stream_not_found");
    assertThat(server.calls("ReadSession")).isEqualTo(1);
  }
}
