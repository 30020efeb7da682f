package io.millrace.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.millrace.client.proto.AccessTokenInfo;
import io.millrace.client.proto.AccessTokenScope;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.BasinState;
import io.millrace.client.proto.Operation;
import io.millrace.client.proto.ReadOutput;
import io.millrace.client.proto.ReadRequest;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.ResourceSet;
import io.millrace.client.proto.SequencedRecord;
import io.millrace.client.proto.StorageClass;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.StreamInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SDK against a real Millrace node in process ({@link InProcessMillrace}: the engine over local
 * stores and the gRPC edge): what a user sees for CRUD, appends, reads, sessions, conditional
 * appends and connection loss. Failures only a fake can inject are in {@link MillraceClientTest}
 * and {@link SessionsTest}. Each test uses its own basin; the node is shared by the class.
 */
class AgainstServerTest {
  private static final RetryPolicy QUICK_RETRY =
      new RetryPolicy(40, Duration.ofMillis(50), Duration.ofMillis(250));
  private static InProcessMillrace node;
  private static MillraceClient client;

  @BeforeAll
  static void start() {
    node = new InProcessMillrace();
    client = node.client(QUICK_RETRY);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(60, TimeUnit.SECONDS).join();
  }

  static S2Error failure(CompletionStage<?> stage) {
    CompletionException e =
        catchThrowableOfType(
            CompletionException.class,
            () -> stage.toCompletableFuture().orTimeout(60, TimeUnit.SECONDS).join());
    assertThat(e).as("expected a failure").isNotNull();
    return S2Error.from(e);
  }

  /** A new basin with one default stream {@code s}; returns the stream. */
  static StreamClient freshStream(String basin) {
    await(client.createBasin(basin, BasinConfig.getDefaultInstance()));
    await(client.basin(basin).createStream("s", StreamConfig.getDefaultInstance()));
    return client.basin(basin).stream("s");
  }

  static List<String> bodies(StreamClient s, long from) {
    ReadOutput out = await(s.read(ReadRequest.newBuilder().setSeqNum(from).build()));
    return out.getBatch().getRecordsList().stream().map(Records::bodyText).toList();
  }

  @Test
  void basinsAndStreamsAreCreatedListedReconfiguredAndDeleted() {
    for (String b : List.of("crud-one", "crud-two", "crud-gone")) {
      assertThat(await(client.createBasin(b, BasinConfig.getDefaultInstance())).getName())
          .isEqualTo(b);
    }
    assertThat(await(client.listAllBasins("crud-")).stream().map(BasinInfo::getName))
        .containsExactly("crud-gone", "crud-one", "crud-two");
    S2Error exists = failure(client.createBasin("crud-one", BasinConfig.getDefaultInstance()));
    assertThat(exists.code()).isEqualTo("resource_already_exists");
    assertThat(exists.retryable()).isFalse();

    BasinConfig reconfigured =
        await(
            client.reconfigureBasin(
                "crud-one", BasinConfig.newBuilder().setCreateStreamOnAppend(true).build(), null));
    assertThat(reconfigured.getCreateStreamOnAppend()).isTrue();
    assertThat(await(client.getBasinConfig("crud-one")).getCreateStreamOnAppend()).isTrue();

    BasinClient basin = client.basin("crud-one");
    for (String s : List.of("s-1", "s-2", "s-3")) {
      StreamConfig express =
          StreamConfig.newBuilder().setStorageClass(StorageClass.STORAGE_CLASS_EXPRESS).build();
      assertThat(await(basin.createStream(s, express)).getName()).isEqualTo(s);
    }
    assertThat(await(basin.listAllStreams("")).stream().map(StreamInfo::getName))
        .containsExactly("s-1", "s-2", "s-3");
    assertThat(await(basin.getStreamConfig("s-2")).getStorageClass())
        .isEqualTo(StorageClass.STORAGE_CLASS_EXPRESS);
    await(basin.deleteStream("s-2"));
    assertThat(await(basin.listAllStreams("")))
        .allMatch(info -> !info.getName().equals("s-2") || info.hasDeletedAt());

    await(client.deleteBasin("crud-gone"));
    assertThat(await(client.listAllBasins("crud-")))
        .allMatch(
            info ->
                !info.getName().equals("crud-gone")
                    || info.getState() == BasinState.BASIN_STATE_DELETING);
    S2Error taken = failure(client.createBasin("crud-gone", BasinConfig.getDefaultInstance()));
    assertThat(taken.code()).isIn("resource_already_exists", "basin_deletion_pending");
    assertThat(taken.retryable()).isFalse();
    S2Error missing = failure(client.basin("crud-one").stream("nope").checkTail());
    assertThat(missing.code()).isEqualTo("stream_not_found");
    assertThat(missing.status()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void unaryAppendsReadBackWithTheirSeqNumsAndTail() {
    StreamClient s = freshStream("unary-basin");
    AppendOutput first = await(s.append(List.of(Records.of("a"), Records.of("b"))));
    assertThat(first.getStartSeqNum()).isZero();
    assertThat(first.getEndSeqNum()).isEqualTo(2);
    AppendOutput second = await(s.append(Records.appendAt(2, List.of(Records.of("c")))));
    assertThat(second.getStartSeqNum()).isEqualTo(2);
    assertThat(await(s.checkTail()).getNextSeqNum()).isEqualTo(3);

    ReadOutput out = await(s.read(ReadRequest.newBuilder().setSeqNum(1).build()));
    assertThat(out.getBatch().getRecordsList().stream().map(SequencedRecord::getSeqNum))
        .containsExactly(1L, 2L);
    assertThat(out.getBatch().getRecordsList().stream().map(Records::bodyText))
        .containsExactly("b", "c");
  }

  @Test
  void matchSeqNumAndFencingTokenRefusalsSayWhatTheStreamExpected() {
    StreamClient s = freshStream("fencing-basin");
    await(s.append(List.of(Records.of("a"))));

    S2Error mismatch = failure(s.append(Records.appendAt(5, List.of(Records.of("x")))));
    assertThat(mismatch.code()).isEqualTo(S2Error.SEQ_NUM_MISMATCH);
    assertThat(mismatch.status()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(mismatch.expectedSeqNum()).hasValue(1);
    assertThat(mismatch.retryable()).isFalse();

    await(s.append(List.of(Records.fence("writer-1"))));
    S2Error fenced =
        failure(s.append(Records.fenced(Records.append(List.of(Records.of("y"))), "writer-2")));
    assertThat(fenced.code()).isEqualTo(S2Error.FENCING_TOKEN_MISMATCH);
    assertThat(fenced.expectedFencingToken()).hasValue("writer-1");
    AppendOutput ok =
        await(s.append(Records.fenced(Records.append(List.of(Records.of("z"))), "writer-1")));
    assertThat(ok.getStartSeqNum()).isEqualTo(2);
    assertThat(bodies(s, 0)).containsExactly("a", "writer-1", "z");
  }

  @Test
  void pipelinedSessionBatchesAreAcknowledgedInOrder() throws Exception {
    StreamClient s = freshStream("session-basin");
    List<CompletableFuture<AppendOutput>> acks = new ArrayList<>();
    try (AppendSession session = s.appendSession()) {
      for (int i = 0; i < 50; i++) {
        acks.add(
            session
                .submit(Records.append(List.of(Records.of(i + "a"), Records.of(i + "b"))))
                .toCompletableFuture());
      }
    }
    for (int i = 0; i < 50; i++) {
      AppendOutput o = acks.get(i).join();
      assertThat(o.getStartSeqNum()).isEqualTo(2L * i);
      assertThat(o.getEndSeqNum()).isEqualTo(2L * i + 2);
    }
    assertThat(await(s.checkTail()).getNextSeqNum()).isEqualTo(100);
    assertThat(bodies(s, 98)).containsExactly("49a", "49b");
  }

  @Test
  void aReadSessionResumesAfterTheLastDeliveredRecordWhenTheServerDropsTheConnection() {
    StreamClient s = freshStream("resume-basin");
    for (int i = 0; i < 5; i++) {
      await(s.append(List.of(Records.of("m" + i))));
    }
    RecordingListener listener = new RecordingListener();
    List<String> got = listener.bodies;
    List<Long> reconnects = listener.reconnects;
    ReadSession session =
        s.readSession(
            ReadSessionRequest.newBuilder().setSeqNum(0).setHeartbeats(true).build(), listener);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> got.size() == 5);
    node.stopGrpc();
    node.startGrpc();
    // conditional appends: retried until the client's connection is back (a plain one is not)
    for (int i = 5; i < 10; i++) {
      await(s.append(Records.appendAt(i, List.of(Records.of("m" + i)))));
    }
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> got.size() >= 10);
    session.cancel();
    assertThat(await(session.done())).isEqualTo(10);
    assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
    assertThat(reconnects).isNotEmpty().allMatch(next -> next == 5L);
  }

  @Test
  void unaryCallsAreRetriedUntilTheServerAnswersAgain() throws Exception {
    StreamClient s = freshStream("retry-basin");
    await(s.append(List.of(Records.of("a"))));
    node.stopGrpc();
    CompletableFuture<Long> tail =
        s.checkTail().toCompletableFuture().thenApply(t -> t.getNextSeqNum());
    Thread.sleep(300);
    assertThat(tail).isNotDone();
    node.startGrpc();
    assertThat(await(tail)).isEqualTo(1);

    node.stopGrpc();
    CompletableFuture<AppendOutput> conditional =
        s.append(Records.appendAt(1, List.of(Records.of("b")))).toCompletableFuture();
    Thread.sleep(300);
    assertThat(conditional).isNotDone();
    node.startGrpc();
    assertThat(await(conditional).getStartSeqNum()).isEqualTo(1);

    node.stopGrpc();
    try {
      S2Error plain = failure(s.append(List.of(Records.of("maybe"))));
      assertThat(plain.status()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(plain.retryable()).isTrue();
    } finally {
      node.startGrpc();
    }
    assertThat(bodies(s, 0)).containsExactly("a", "b");
  }

  @Test
  void anIssuedTokenActsWithinItsScopeIsListedAndStopsWorkingWhenRevoked() {
    StreamClient s = freshStream("token-basin");
    await(s.append(List.of(Records.of("visible"))));
    AccessTokenInfo readOnly =
        AccessTokenInfo.newBuilder()
            .setId("sdk-reader")
            .setScope(
                AccessTokenScope.newBuilder()
                    .setBasins(ResourceSet.newBuilder().setExact("token-basin"))
                    .setStreams(ResourceSet.newBuilder().setPrefix(""))
                    .addOps(Operation.OPERATION_READ)
                    .addOps(Operation.OPERATION_CHECK_TAIL))
            .build();
    String secret = await(client.issueAccessToken(readOnly));
    assertThat(secret).isNotBlank();
    assertThat(await(client.listAllAccessTokens("sdk-")).stream().map(AccessTokenInfo::getId))
        .containsExactly("sdk-reader");

    ClientConfig asReader =
        ClientConfig.builder(node.endpoint()).accessToken(secret).retry(RetryPolicy.NONE).build();
    try (MillraceClient reader = MillraceClient.create(asReader)) {
      StreamClient readerStream = reader.basin("token-basin").stream("s");
      assertThat(bodies(readerStream, 0)).containsExactly("visible");
      S2Error denied = failure(readerStream.append(List.of(Records.of("not allowed"))));
      assertThat(denied.code()).isEqualTo("permission_denied");
      assertThat(denied.status()).isEqualTo(Status.Code.PERMISSION_DENIED);

      assertThat(await(client.revokeAccessToken("sdk-reader")).getId()).isEqualTo("sdk-reader");
      assertThat(await(client.listAllAccessTokens("sdk-"))).isEmpty();
      // verified tokens are trusted for the node's cache TTL (1 s here)
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  readerStream
                      .checkTail()
                      .toCompletableFuture()
                      .handle((t, e) -> e != null && S2Error.from(e).code().equals("authn"))
                      .join());
    }
    assertThat(bodies(s, 0)).containsExactly("visible");
  }

  @Test
  void anAppendSessionResendsItsConditionalBatchesInOrderOnANewConnection() throws Exception {
    StreamClient s = freshStream("resend-basin");
    List<CompletableFuture<AppendOutput>> acks = new ArrayList<>();
    try (AppendSession session = s.appendSession()) {
      for (int i = 0; i < 10; i++) {
        acks.add(
            session
                .submit(Records.appendAt(i, List.of(Records.of("c" + i))))
                .toCompletableFuture());
      }
      await(acks.get(9));
      node.stopGrpc();
      for (int i = 10; i < 20; i++) {
        acks.add(
            session
                .submit(Records.appendAt(i, List.of(Records.of("c" + i))))
                .toCompletableFuture());
      }
      Thread.sleep(300);
      assertThat(acks.get(10)).isNotDone();
      node.startGrpc();
      for (int i = 0; i < 20; i++) {
        assertThat(await(acks.get(i)).getStartSeqNum()).isEqualTo(i);
      }
      assertThat(session.failure()).isNull();
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected.add("c" + i);
    }
    assertThat(bodies(s, 0)).isEqualTo(expected);
  }

  @Test
  void anAppendSessionFailsAPlainBatchRetryablyRatherThanResendItBlindly() throws Exception {
    StreamClient s = freshStream("plain-session-basin");
    AppendSession session = s.appendSession();
    await(session.submit(Records.append(List.of(Records.of("first")))));
    node.stopGrpc();
    try {
      S2Error dropped = failure(session.submit(Records.append(List.of(Records.of("unsure")))));
      assertThat(dropped.retryable()).isTrue();
      assertThat(session.failure()).isNotNull();
    } finally {
      node.startGrpc();
    }
    session.close();
    assertThat(bodies(s, 0)).containsExactly("first");
  }
}
