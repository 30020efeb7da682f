package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import s2.v1alpha.AccountServiceClient;
import s2.v1alpha.AppendInput;
import s2.v1alpha.AppendOutput;
import s2.v1alpha.AppendRecord;
import s2.v1alpha.AppendRequest;
import s2.v1alpha.AppendSessionRequest;
import s2.v1alpha.AppendSessionResponse;
import s2.v1alpha.BasinConfig;
import s2.v1alpha.BasinServiceClient;
import s2.v1alpha.CheckTailRequest;
import s2.v1alpha.CreateBasinRequest;
import s2.v1alpha.CreateStreamRequest;
import s2.v1alpha.GetStreamConfigRequest;
import s2.v1alpha.Header;
import s2.v1alpha.ReadLimit;
import s2.v1alpha.ReadRequest;
import s2.v1alpha.ReadSessionRequest;
import s2.v1alpha.ReadSessionResponse;
import s2.v1alpha.ReconfigureStreamRequest;
import s2.v1alpha.SequencedRecord;
import s2.v1alpha.StorageClass;
import s2.v1alpha.StreamConfig;
import s2.v1alpha.StreamServiceClient;

/**
 * The gRPC edge in process, on a real node (SQLite metadata, local object store, the engine): every
 * service answers over the same engine as REST, with the statuses of docs/grpc.md.
 */
class GrpcEdgeTest {
  @TempDir static Path dataDir;

  private static final EmbeddedServer node = new EmbeddedServer();
  private static ActorSystem clientSystem;
  private static AccountServiceClient account;
  private static BasinServiceClient basins;
  private static StreamServiceClient streams;

  @BeforeAll
  static void start() {
    MillraceServer server =
        node.start(
            ConfigFactory.parseMap(Map.of("millrace.grpc.port", 0))
                .withFallback(Main.config("127.0.0.1", 0, dataDir)),
            new ByteArrayOutputStream());
    assertThat(server.grpcPort()).isPositive();
    clientSystem =
        ActorSystem.create(
            "grpc-client",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ConfigFactory.defaultReference()));
    GrpcClientSettings settings =
        GrpcClientSettings.connectToServiceAt("127.0.0.1", server.grpcPort(), clientSystem)
            .withTls(false)
            .withCallCredentials(new BearerCredentials(server.accessToken()));
    account = AccountServiceClient.create(settings, clientSystem);
    basins = BasinServiceClient.create(settings, clientSystem);
    streams = StreamServiceClient.create(settings, clientSystem);
  }

  @AfterAll
  static void stop() throws Exception {
    if (clientSystem != null) {
      clientSystem.terminate();
    }
    node.close();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  private static String newBasin(String tag) throws Exception {
    String name = "grpc-" + tag + "-" + Long.toHexString(System.nanoTime());
    await(
        account
            .createBasin()
            .invoke(
                CreateBasinRequest.newBuilder()
                    .setBasin(name)
                    // Infinite retention (age 0 in v1alpha): the tests append records stamped
                    // in 1970, which a 7-day retention by record timestamp would expire at once.
                    .setConfig(
                        BasinConfig.newBuilder()
                            .setCreateStreamOnAppend(true)
                            .setDefaultStreamConfig(s2.v1alpha.StreamConfig.newBuilder().setAge(0)))
                    .build()));
    return name;
  }

  private static AppendRecord record(String body, String headerName, String headerValue) {
    AppendRecord.Builder b = AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body));
    if (headerName != null) {
      b.addHeaders(
          Header.newBuilder()
              .setName(ByteString.copyFromUtf8(headerName))
              .setValue(ByteString.copyFromUtf8(headerValue)));
    }
    return b.build();
  }

  private static AppendOutput append(String basin, AppendInput input) throws Exception {
    return await(
            streams
                .append()
                .addHeader("s2-basin", basin)
                .invoke(AppendRequest.newBuilder().setInput(input).build()))
        .getOutput();
  }

  private static Status.Code code(Throwable t) {
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    return ((StatusRuntimeException) t).getStatus().getCode();
  }

  private static String s2Code(Throwable t) {
    return ((StatusRuntimeException) t)
        .getTrailers()
        .get(io.grpc.Metadata.Key.of("s2-error-code", io.grpc.Metadata.ASCII_STRING_MARSHALLER));
  }

  @Test
  void appendedRecordsAreAcknowledgedAndReadBackOverGrpc() throws Exception {
    String basin = newBasin("rw");
    AppendOutput out =
        append(
            basin,
            AppendInput.newBuilder()
                .setStream("s")
                .addRecords(record("a", "h", "v"))
                .addRecords(record("b", null, null))
                .build());
    assertThat(out.getStartSeqNum()).isZero();
    assertThat(out.getEndSeqNum()).isEqualTo(2);
    assertThat(out.getNextSeqNum()).isEqualTo(2);
    assertThat(out.getEndTimestamp()).isGreaterThanOrEqualTo(out.getStartTimestamp());

    var tail =
        await(
            streams
                .checkTail()
                .addHeader("s2-basin", basin)
                .invoke(CheckTailRequest.newBuilder().setStream("s").build()));
    assertThat(tail.getNextSeqNum()).isEqualTo(2);
    assertThat(tail.getLastTimestamp()).isEqualTo(out.getEndTimestamp());

    var read =
        await(
            streams
                .read()
                .addHeader("s2-basin", basin)
                .invoke(ReadRequest.newBuilder().setStream("s").setSeqNum(0).build()));
    List<SequencedRecord> records = read.getOutput().getBatch().getRecordsList();
    assertThat(records).hasSize(2);
    assertThat(records.get(0).getBody().toStringUtf8()).isEqualTo("a");
    assertThat(records.get(0).getHeaders(0).getName().toStringUtf8()).isEqualTo("h");
    assertThat(records.get(1).getSeqNum()).isEqualTo(1);

    // At the tail a unary read cannot wait: the output is the tail, not a batch.
    var atTail =
        await(
            streams
                .read()
                .addHeader("s2-basin", basin)
                .invoke(ReadRequest.newBuilder().setStream("s").setSeqNum(2).build()));
    assertThat(atTail.getOutput().getNextSeqNum()).isEqualTo(2);
  }

  @Test
  void recordsAppendedOverRestReadBackIdenticallyOverGrpcAndTheOtherWay() throws Exception {
    String basin = newBasin("x");
    HttpResponse<String> rest =
        node.sendJson(
            "POST",
            "/v1/streams/x/records",
            basin,
            "{\"records\":[{\"timestamp\":1000,\"headers\":[[\"k\",\"v\"]],\"body\":\"from-rest\"},"
                + "{\"timestamp\":1500,\"headers\":[[\"\",\"fence\"]],\"body\":\"tok\"}]}");
    assertThat(rest.statusCode()).isEqualTo(200);
    AppendOutput viaGrpc =
        append(
            basin,
            AppendInput.newBuilder()
                .setStream("x")
                .setFencingToken("tok")
                .setMatchSeqNum(2)
                .addRecords(
                    AppendRecord.newBuilder()
                        .setTimestamp(2000)
                        .setBody(ByteString.copyFromUtf8("from-grpc")))
                .build());
    assertThat(viaGrpc.getStartSeqNum()).isEqualTo(2);

    var grpcRead =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .invoke(ReadRequest.newBuilder().setStream("x").setSeqNum(0).build()))
            .getOutput()
            .getBatch();
    assertThat(grpcRead.getRecordsCount()).isEqualTo(3);
    assertThat(grpcRead.getRecords(0).getTimestamp()).isEqualTo(1000);
    assertThat(grpcRead.getRecords(0).getBody().toStringUtf8()).isEqualTo("from-rest");
    assertThat(grpcRead.getRecords(1).getHeaders(0).getName().isEmpty()).isTrue();
    assertThat(grpcRead.getRecords(1).getHeaders(0).getValue().toStringUtf8()).isEqualTo("fence");
    assertThat(grpcRead.getRecords(1).getBody().toStringUtf8()).isEqualTo("tok");
    assertThat(grpcRead.getRecords(2).getTimestamp()).isEqualTo(2000);

    HttpResponse<String> restRead =
        node.send(
            HttpRequest.newBuilder(node.uri("/v1/streams/x/records?seq_num=0"))
                .header("s2-basin", basin)
                .GET());
    assertThat(restRead.body())
        .contains("\"seq_num\":2")
        .contains("\"timestamp\":2000")
        .contains("\"body\":\"from-grpc\"");
  }

  @Test
  void failedAppendConditionsAndMissingThingsHaveTheirStatusAndS2Code() throws Exception {
    String basin = newBasin("err");
    append(
        basin, AppendInput.newBuilder().setStream("e").addRecords(record("a", null, null)).build());

    Throwable mismatch =
        catchFailure(
            () ->
                append(
                    basin,
                    AppendInput.newBuilder()
                        .setStream("e")
                        .setMatchSeqNum(7)
                        .addRecords(record("b", null, null))
                        .build()));
    assertThat(code(mismatch)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s2Code(mismatch)).isEqualTo("seq_num_mismatch");
    assertThat(
            ((StatusRuntimeException) mismatch)
                .getTrailers()
                .get(
                    io.grpc.Metadata.Key.of(
                        "s2-expected-seq-num", io.grpc.Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("1");

    Throwable empty =
        catchFailure(() -> append(basin, AppendInput.newBuilder().setStream("e").build()));
    assertThat(code(empty)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s2Code(empty)).isEqualTo("invalid");

    Throwable noBasin =
        catchFailure(
            () ->
                await(
                    streams
                        .checkTail()
                        .invoke(CheckTailRequest.newBuilder().setStream("e").build())));
    assertThat(code(noBasin)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s2Code(noBasin)).isEqualTo("bad_header");

    Throwable missing =
        catchFailure(
            () ->
                await(
                    basins
                        .getStreamConfig()
                        .addHeader("s2-basin", basin)
                        .invoke(GetStreamConfigRequest.newBuilder().setStream("nope").build())));
    assertThat(code(missing)).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(s2Code(missing)).isEqualTo("stream_not_found");

    Throwable exists =
        catchFailure(
            () ->
                await(
                    account
                        .createBasin()
                        .invoke(CreateBasinRequest.newBuilder().setBasin(basin).build())));
    assertThat(code(exists)).isEqualTo(Status.Code.ALREADY_EXISTS);

    // Nothing of the rejected appends was appended.
    var tail =
        await(
            streams
                .checkTail()
                .addHeader("s2-basin", basin)
                .invoke(CheckTailRequest.newBuilder().setStream("e").build()));
    assertThat(tail.getNextSeqNum()).isEqualTo(1);
  }

  @Test
  void streamsAreCreatedConfiguredAndReconfiguredByFieldMask() throws Exception {
    String basin = newBasin("cfg");
    await(
        basins
            .createStream()
            .addHeader("s2-basin", basin)
            .invoke(
                CreateStreamRequest.newBuilder()
                    .setStream("c")
                    .setConfig(
                        StreamConfig.newBuilder()
                            .setStorageClass(StorageClass.STORAGE_CLASS_STANDARD)
                            .setAge(3600))
                    .build()));
    var reconfigured =
        await(
                basins
                    .reconfigureStream()
                    .addHeader("s2-basin", basin)
                    .invoke(
                        ReconfigureStreamRequest.newBuilder()
                            .setStream("c")
                            .setConfig(StreamConfig.newBuilder().setAge(0))
                            .setMask(FieldMask.newBuilder().addPaths("retention_policy"))
                            .build()))
            .getConfig();
    assertThat(reconfigured.getStorageClass()).isEqualTo(StorageClass.STORAGE_CLASS_STANDARD);
    assertThat(reconfigured.getAge()).isZero();
    HttpResponse<String> rest =
        node.send(HttpRequest.newBuilder(node.uri("/v1/streams/c")).header("s2-basin", basin));
    assertThat(rest.body()).contains("\"infinite\"").contains("\"standard\"");
  }

  @Test
  void appendSessionsAckInOrderAndReadSessionsFollowTheTailWithHeartbeats() throws Exception {
    String basin = newBasin("ses");
    List<AppendSessionRequest> inputs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      inputs.add(
          AppendSessionRequest.newBuilder()
              .setInput(
                  AppendInput.newBuilder()
                      .setStream(i == 0 ? "s" : "")
                      .addRecords(record("r" + i, null, null)))
              .build());
    }
    List<AppendSessionResponse> acks =
        await(
            streams
                .appendSession()
                .addHeader("s2-basin", basin)
                .invoke(Source.from(inputs))
                .runWith(Sink.seq(), clientSystem));
    assertThat(acks).hasSize(20);
    for (int i = 0; i < 20; i++) {
      assertThat(acks.get(i).getOutput().getStartSeqNum()).isEqualTo(i);
      assertThat(acks.get(i).getOutput().getEndSeqNum()).isEqualTo(i + 1);
    }

    // A limited session ends at its limit.
    List<ReadSessionResponse> limited =
        await(
            streams
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    ReadSessionRequest.newBuilder()
                        .setStream("s")
                        .setSeqNum(5)
                        .setLimit(ReadLimit.newBuilder().setCount(10))
                        .build())
                .runWith(Sink.seq(), clientSystem));
    long read = limited.stream().mapToLong(r -> r.getOutput().getBatch().getRecordsCount()).sum();
    assertThat(read).isEqualTo(10);

    // An unlimited session with heartbeats catches up, then sends a heartbeat at the tail, then
    // delivers what is appended later.
    List<ReadSessionResponse> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletionStage<org.apache.pekko.Done> following =
        streams
            .readSession()
            .addHeader("s2-basin", basin)
            .invoke(
                ReadSessionRequest.newBuilder()
                    .setStream("s")
                    .setTailOffset(2)
                    .setHeartbeats(true)
                    .build())
            .take(3)
            .runForeach(got::add, clientSystem);
    // Append only once the session has caught up and reported the tail.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> got.size() >= 2);
    append(
        basin,
        AppendInput.newBuilder().setStream("s").addRecords(record("late", null, null)).build());
    await(following);
    assertThat(got.get(0).getOutput().getBatch().getRecordsList())
        .extracting(SequencedRecord::getSeqNum)
        .containsExactly(18L, 19L);
    assertThat(got.get(1).hasOutput()).as("heartbeat when live tailing starts").isFalse();
    assertThat(got.get(2).getOutput().getBatch().getRecords(0).getBody().toStringUtf8())
        .isEqualTo("late");
  }

  @Test
  void anAppendSessionEndsAtItsFirstFailureAfterTheAcksBeforeIt() throws Exception {
    String basin = newBasin("fail");
    List<AppendSessionRequest> inputs =
        List.of(
            AppendSessionRequest.newBuilder()
                .setInput(
                    AppendInput.newBuilder().setStream("f").addRecords(record("ok", null, null)))
                .build(),
            AppendSessionRequest.newBuilder()
                .setInput(
                    AppendInput.newBuilder()
                        .setMatchSeqNum(99)
                        .addRecords(record("bad", null, null)))
                .build(),
            AppendSessionRequest.newBuilder()
                .setInput(AppendInput.newBuilder().addRecords(record("after", null, null)))
                .build());
    List<Object> seen = new ArrayList<>();
    Throwable failure =
        catchFailure(
            () ->
                await(
                    streams
                        .appendSession()
                        .addHeader("s2-basin", basin)
                        .invoke(Source.from(inputs))
                        .runForeach(seen::add, clientSystem)));
    assertThat(seen).hasSize(1);
    assertThat(code(failure)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s2Code(failure)).isEqualTo("seq_num_mismatch");
    var tail =
        await(
            streams
                .checkTail()
                .addHeader("s2-basin", basin)
                .invoke(CheckTailRequest.newBuilder().setStream("f").build()));
    assertThat(tail.getNextSeqNum()).as("nothing after the failed batch is appended").isEqualTo(1);
  }

  private interface Failing {
    void run() throws Exception;
  }

  private static Throwable catchFailure(Failing f) {
    try {
      f.run();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }
}
