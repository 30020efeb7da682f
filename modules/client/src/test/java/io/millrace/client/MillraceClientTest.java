package io.millrace.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.StorageClass;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.StreamInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Unary calls of the SDK against {@link FakeS2Server}: shapes, errors and the retry policy. */
class MillraceClientTest {
  private FakeS2Server server;
  private MillraceClient client;

  static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5));

  @BeforeEach
  void start() {
    server = new FakeS2Server();
    client = connect(RetryPolicy.AppendRetry.IF_IDEMPOTENT, FakeS2Server.TOKEN);
  }

  MillraceClient connect(RetryPolicy.AppendRetry appendRetry, String token) {
    return MillraceClient.create(
        ClientConfig.builder(server.endpoint())
            .accessToken(token)
            .retry(FAST)
            .appendRetry(appendRetry)
            .build());
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  static <T> T await(CompletionStage<T> s) {
    return s.toCompletableFuture().join();
  }

  static S2Error failure(CompletionStage<?> s) {
    CompletionException e =
        catchThrowableOfType(CompletionException.class, () -> s.toCompletableFuture().join());
    assertThat(e).as("expected the call to fail").isNotNull();
    assertThat(e.getCause()).isInstanceOf(S2Error.class);
    return (S2Error) e.getCause();
  }

  @Test
  void basinsAndStreamsRoundTripAndListsFollowPages() {
    for (String b : List.of("b-1", "b-2", "b-3", "other")) {
      BasinInfo info = await(client.createBasin(b, BasinConfig.getDefaultInstance()));
      assertThat(info.getName()).isEqualTo(b);
    }
    assertThat(await(client.listAllBasins("b-")).stream().map(BasinInfo::getName))
        .containsExactly("b-1", "b-2", "b-3");
    BasinConfig reconfigured =
        await(
            client.reconfigureBasin(
                "b-1", BasinConfig.newBuilder().setCreateStreamOnAppend(true).build(), null));
    assertThat(reconfigured.getCreateStreamOnAppend()).isTrue();
    assertThat(await(client.getBasinConfig("b-1")).getCreateStreamOnAppend()).isTrue();

    BasinClient basin = client.basin("b-1");
    for (String s : List.of("s-1", "s-2", "s-3")) {
      StreamInfo info =
          await(
              basin.createStream(
                  s,
                  StreamConfig.newBuilder()
                      .setStorageClass(StorageClass.STORAGE_CLASS_EXPRESS)
                      .build()));
      assertThat(info.getName()).isEqualTo(s);
    }
    assertThat(await(basin.listAllStreams("")).stream().map(StreamInfo::getName))
        .containsExactly("s-1", "s-2", "s-3");
    assertThat(await(basin.getStreamConfig("s-2")).getStorageClass())
        .isEqualTo(StorageClass.STORAGE_CLASS_EXPRESS);
    await(basin.deleteStream("s-2"));
    assertThat(await(basin.listAllStreams("")).stream().map(StreamInfo::getName))
        .containsExactly("s-1", "s-3");
    await(client.deleteBasin("other"));
    S2Error gone = failure(client.getBasinConfig("other"));
    assertThat(gone.code()).isEqualTo("basin_not_found");
    assertThat(gone.status()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(gone.retryable()).isFalse();
  }

  @Test
  void retryableFailuresAreRetriedWithBackoffAndOthersAreNot() {
    await(client.createBasin("b", BasinConfig.getDefaultInstance()));
    await(client.basin("b").createStream("s", StreamConfig.getDefaultInstance()));
    StreamClient s = client.basin("b").stream("s");

    server.inject(
        "CheckTail", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, false));
    server.inject(
        "CheckTail", new FakeS2Server.Fault(Status.Code.INTERNAL, "storage", true, false));
    assertThat(await(s.checkTail()).getNextSeqNum()).isZero();
    assertThat(server.calls("CheckTail")).isEqualTo(3);

    server.inject(
        "CheckTail", new FakeS2Server.Fault(Status.Code.INVALID_ARGUMENT, "invalid", false, false));
    assertThat(failure(s.checkTail()).code()).isEqualTo("invalid");
    assertThat(server.calls("CheckTail")).isEqualTo(4);

    for (int i = 0; i < 4; i++) {
      server.inject(
          "CheckTail", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, false));
    }
    S2Error exhausted = failure(s.checkTail());
    assertThat(exhausted.code()).isEqualTo("unavailable");
    assertThat(exhausted.retryable()).isTrue();
    assertThat(server.calls("CheckTail")).isEqualTo(8);
  }

  @Test
  void aCallTheServerDoesNotAnswerFailsWithRequestTimeoutOnEveryTry() {
    await(client.createBasin("b", BasinConfig.getDefaultInstance()));
    await(client.basin("b").createStream("s", StreamConfig.getDefaultInstance()));
    try (MillraceClient impatient =
        MillraceClient.create(
            ClientConfig.builder(server.endpoint())
                .accessToken(FakeS2Server.TOKEN)
                .retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5)))
                .requestTimeout(Duration.ofMillis(500))
                .build())) {
      StreamClient s = impatient.basin("b").stream("s");
      server.holdCheckTail = new CompletableFuture<>();
      S2Error timedOut = failure(s.checkTail());
      assertThat(timedOut.code()).isEqualTo("request_timeout");
      assertThat(timedOut.status()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(timedOut.retryable()).isTrue();
      assertThat(server.calls("CheckTail")).isEqualTo(2);

      CompletableFuture<Void> held = server.holdCheckTail;
      server.holdCheckTail = null;
      held.complete(null);
      assertThat(await(s.checkTail()).getNextSeqNum()).isZero();
    }
  }

  @Test
  void anAppendIsRetriedOnlyWhenItCarriesMatchSeqNumOrTheUserOptsIn() {
    await(client.createBasin("b", BasinConfig.getDefaultInstance()));
    await(client.basin("b").createStream("s", StreamConfig.getDefaultInstance()));
    StreamClient s = client.basin("b").stream("s");

    // appended, then the answer is lost: a plain append is not sent again, so no duplicate
    server.inject(
        "Append", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, true));
    S2Error lost = failure(s.append(List.of(Records.of("once"))));
    assertThat(lost.retryable()).isTrue();
    assertThat(server.calls("Append")).isEqualTo(1);
    assertThat(server.records("b", "s")).hasSize(1);

    // refused before appending: a conditional append is retried and lands once
    server.inject(
        "Append", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, false));
    AppendOutput ok = await(s.append(Records.appendAt(1, List.of(Records.of("two")))));
    assertThat(ok.getStartSeqNum()).isEqualTo(1);
    assertThat(server.calls("Append")).isEqualTo(3);

    // appended and the answer lost: the conditional retry is refused, not written twice
    server.inject(
        "Append", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, true));
    S2Error again = failure(s.append(Records.appendAt(2, List.of(Records.of("three")))));
    assertThat(again.code()).isEqualTo(S2Error.SEQ_NUM_MISMATCH);
    assertThat(again.expectedSeqNum()).hasValue(3);
    assertThat(server.records("b", "s").stream().map(Records::bodyText))
        .containsExactly("once", "two", "three");

    // opted in: a plain append is retried
    try (MillraceClient always = connect(RetryPolicy.AppendRetry.ALWAYS, FakeS2Server.TOKEN)) {
      server.inject(
          "Append", new FakeS2Server.Fault(Status.Code.UNAVAILABLE, "unavailable", true, false));
      AppendOutput retried =
          await(always.basin("b").stream("s").append(List.of(Records.of("four"))));
      assertThat(retried.getStartSeqNum()).isEqualTo(3);
    }
  }

  @Test
  void commandRecordHelpersAndBackoffBounds() {
    assertThat(Records.fence("tok").getHeaders(0).getName().isEmpty()).isTrue();
    assertThat(Records.fence("tok").getHeaders(0).getValue().toStringUtf8()).isEqualTo("fence");
    assertThat(Records.trim(258).getBody().toByteArray()).containsExactly(0, 0, 0, 0, 0, 0, 1, 2);
    assertThat(Records.fenced(Records.append(List.of(Records.of("x"))), "t").getFencingToken())
        .isEqualTo("t");
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(800));
    for (int retry = 1; retry <= 9; retry++) {
      long cap = Math.min(800, 100L << (retry - 1));
      assertThat(p.delay(retry)).isBetween(Duration.ofMillis(cap / 2), Duration.ofMillis(cap));
    }
  }
}
