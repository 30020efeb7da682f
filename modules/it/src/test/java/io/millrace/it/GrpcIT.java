package io.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.MessageLite;
import com.typesafe.config.ConfigFactory;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import s2.v1alpha.AccessTokenInfo;
import s2.v1alpha.AccessTokenScope;
import s2.v1alpha.AccountServiceClient;
import s2.v1alpha.AppendInput;
import s2.v1alpha.AppendOutput;
import s2.v1alpha.AppendRecord;
import s2.v1alpha.AppendRequest;
import s2.v1alpha.AppendSessionRequest;
import s2.v1alpha.AppendSessionResponse;
import s2.v1alpha.BasinConfig;
import s2.v1alpha.BasinServiceClient;
import s2.v1alpha.BasinState;
import s2.v1alpha.CheckTailRequest;
import s2.v1alpha.CreateBasinRequest;
import s2.v1alpha.CreateStreamRequest;
import s2.v1alpha.DeleteBasinRequest;
import s2.v1alpha.DeleteStreamRequest;
import s2.v1alpha.GetBasinConfigRequest;
import s2.v1alpha.GetStreamConfigRequest;
import s2.v1alpha.Header;
import s2.v1alpha.IssueAccessTokenRequest;
import s2.v1alpha.ListAccessTokensRequest;
import s2.v1alpha.ListBasinsRequest;
import s2.v1alpha.ListStreamsRequest;
import s2.v1alpha.Operation;
import s2.v1alpha.ReadLimit;
import s2.v1alpha.ReadRequest;
import s2.v1alpha.ReadSessionRequest;
import s2.v1alpha.ReadSessionResponse;
import s2.v1alpha.ReconfigureBasinRequest;
import s2.v1alpha.ReconfigureStreamRequest;
import s2.v1alpha.ResourceSet;
import s2.v1alpha.RevokeAccessTokenRequest;
import s2.v1alpha.SequencedRecord;
import s2.v1alpha.StorageClass;
import s2.v1alpha.StreamConfig;
import s2.v1alpha.StreamServiceClient;
import s2.v1alpha.TimestampingMode;

/**
 * The S2 v1alpha gRPC edge of the built jar ({@code serve --grpc-port}), through the Pekko gRPC
 * client generated from protobuf/s2/v1alpha (and, for bytes no generated client would send, a raw
 * grpc-java call): every method of the three services, each error status, REST and gRPC reading
 * each other's records, sessions cut off by the client, and bad input.
 */
class GrpcIT {
  private static final Metadata.Key<String> S2_CODE =
      Metadata.Key.of("s2-error-code", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static ServerProcess server;
  private static int grpcPort;
  private static ActorSystem client;
  private static AccountServiceClient account;
  private static BasinServiceClient basins;
  private static StreamServiceClient streams;
  private static ManagedChannel raw;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws IOException {
    Path logs = Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
    Path dataDir = Files.createTempDirectory("millrace-grpc-it");
    grpcPort = ServerProcess.freePort();
    server =
        ServerProcess.start(
            ServerProcess.defaultJar(),
            dataDir,
            ServerProcess.freePort(),
            logs.resolve("grpc-it.log"),
            List.of("-Xmx256m"),
            List.of("--grpc-port", Integer.toString(grpcPort)));
    client =
        ActorSystem.create(
            "grpc-it-client",
            ConfigFactory.parseString("pekko.loglevel = WARNING")
                .withFallback(ConfigFactory.defaultReference()));
    account = AccountServiceClient.create(settings(), client);
    basins = BasinServiceClient.create(settings(), client);
    streams = StreamServiceClient.create(settings(), client);
    raw = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
  }

  private static GrpcClientSettings settings() {
    return settings(client);
  }

  /** Client settings that send the server's root token (auth is on, the default). */
  private static GrpcClientSettings settings(ActorSystem system) {
    return settings(system, null);
  }

  /** Client settings that send {@code token} (null: the server's root token). */
  private static GrpcClientSettings settings(ActorSystem system, String token) {
    return GrpcClientSettings.connectToServiceAt("127.0.0.1", grpcPort, system)
        .withTls(false)
        .withCallCredentials(
            new CallCredentials() {
              @Override
              public void applyRequestMetadata(
                  RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata md = new Metadata();
                md.put(AUTHORIZATION, "Bearer " + (token == null ? server.accessToken() : token));
                applier.apply(md);
              }
            });
  }

  @AfterAll
  static void stop() {
    if (raw != null) {
      raw.shutdownNow();
    }
    if (client != null) {
      client.terminate();
    }
    if (server != null) {
      server.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  private static StatusRuntimeException failure(Callable f) {
    try {
      f.call();
    } catch (StatusRuntimeException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a gRPC status, got " + e, e);
    }
    throw new AssertionError("expected a failure");
  }

  private interface Callable {
    void call() throws Exception;
  }

  private static void assertStatus(StatusRuntimeException e, Status.Code code, String s2Code) {
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(e.getTrailers().get(S2_CODE)).as(e.getStatus().toString()).isEqualTo(s2Code);
    assertThat(e.getStatus().getDescription()).startsWith(s2Code + ": ");
  }

  private static String newBasin(String tag, boolean autoCreate) throws Exception {
    return newBasin(tag, BasinConfig.newBuilder().setCreateStreamOnAppend(autoCreate));
  }

  private static String newBasin(String tag, BasinConfig.Builder config) throws Exception {
    String name = "g" + tag + "-" + Long.toHexString(System.nanoTime());
    await(
        account
            .createBasin()
            .addHeader("s2-request-token", "t-" + name)
            .invoke(CreateBasinRequest.newBuilder().setBasin(name).setConfig(config).build()));
    return name;
  }

  private static AppendRecord rec(String body) {
    return AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body)).build();
  }

  private static AppendOutput append(String basin, AppendInput input) throws Exception {
    return await(
            streams
                .append()
                .addHeader("s2-basin", basin)
                .invoke(AppendRequest.newBuilder().setInput(input).build()))
        .getOutput();
  }

  private static long tail(String basin, String stream) throws Exception {
    return await(
            streams
                .checkTail()
                .addHeader("s2-basin", basin)
                .invoke(CheckTailRequest.newBuilder().setStream(stream).build()))
        .getNextSeqNum();
  }

  private static List<SequencedRecord> readAll(String basin, String stream) throws Exception {
    return await(
            streams
                .read()
                .addHeader("s2-basin", basin)
                .invoke(ReadRequest.newBuilder().setStream(stream).setSeqNum(0).build()))
        .getOutput()
        .getBatch()
        .getRecordsList();
  }

  private static HttpResponse<byte[]> rest(
      String method, String path, String basin, String contentType, byte[] body, String accept)
      throws Exception {
    return restAs(server.accessToken(), method, path, basin, contentType, body, accept);
  }

  /** A REST request with {@code token}; {@code extra} are more header name/value pairs. */
  private static HttpResponse<byte[]> restAs(
      String token,
      String method,
      String path,
      String basin,
      String contentType,
      byte[] body,
      String accept,
      String... extra)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUri() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    b.header("Authorization", "Bearer " + token);
    if (basin != null) {
      b.header("s2-basin", basin);
    }
    for (int i = 0; i + 1 < extra.length; i += 2) {
      b.header(extra[i], extra[i + 1]);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (accept != null) {
      b.header("Accept", accept);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** One raw gRPC call with arbitrary request bytes; completes with the status and messages. */
  private static CompletableFuture<RawResult> rawCall(
      String fullMethod, MethodDescriptor.MethodType type, String basin, byte[]... messages) {
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(type)
            .setFullMethodName(fullMethod)
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    ClientCall<byte[], byte[]> call = raw.newCall(method, CallOptions.DEFAULT);
    CompletableFuture<RawResult> done = new CompletableFuture<>();
    List<byte[]> received = new CopyOnWriteArrayList<>();
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + server.accessToken());
    if (basin != null) {
      headers.put(Metadata.Key.of("s2-basin", Metadata.ASCII_STRING_MARSHALLER), basin);
    }
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            received.add(message);
            call.request(1);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(new RawResult(status, trailers.get(S2_CODE), received));
          }
        },
        headers);
    call.request(1);
    for (byte[] m : messages) {
      call.sendMessage(m);
    }
    call.halfClose();
    return done;
  }

  private record RawResult(Status status, String s2Code, List<byte[]> messages) {}

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static byte[] bytes(MessageLite m) {
    return m.toByteArray();
  }

  // ------------------------------------------------------------------ every method

  @Test
  void callsWithoutAnAccessTokenAreUnauthenticated() throws Exception {
    AccountServiceClient anonymous =
        AccountServiceClient.create(
            GrpcClientSettings.connectToServiceAt("127.0.0.1", grpcPort, client).withTls(false),
            client);
    try {
      assertStatus(
          failure(
              () -> await(anonymous.listBasins().invoke(ListBasinsRequest.getDefaultInstance()))),
          Status.Code.UNAUTHENTICATED,
          "authn");
      String basin = "grpc-anon-" + Long.toHexString(System.nanoTime());
      assertStatus(
          failure(
              () ->
                  await(
                      anonymous
                          .createBasin()
                          .invoke(CreateBasinRequest.newBuilder().setBasin(basin).build()))),
          Status.Code.UNAUTHENTICATED,
          "authn");
      // Nothing was created.
      var listed =
          await(
              account.listBasins().invoke(ListBasinsRequest.newBuilder().setPrefix(basin).build()));
      assertThat(listed.getBasinsList()).isEmpty();
    } finally {
      anonymous.close();
    }
  }

  @Test
  void everyAccountAndBasinMethodAnswers() throws Exception {
    String basin = newBasin("acct", false);
    // A replayed create with the same request token returns the basin it created.
    var replay =
        await(
            account
                .createBasin()
                .addHeader("s2-request-token", "t-" + basin)
                .invoke(
                    CreateBasinRequest.newBuilder()
                        .setBasin(basin)
                        .setConfig(BasinConfig.newBuilder().setCreateStreamOnAppend(false))
                        .build()));
    assertThat(replay.getInfo().getName()).isEqualTo(basin);
    assertThat(replay.getInfo().getState()).isEqualTo(BasinState.BASIN_STATE_ACTIVE);

    var listed =
        await(account.listBasins().invoke(ListBasinsRequest.newBuilder().setPrefix(basin).build()));
    assertThat(listed.getBasinsList()).extracting(b -> b.getName()).containsExactly(basin);
    assertThat(listed.getHasMore()).isFalse();

    var reconfigured =
        await(
                account
                    .reconfigureBasin()
                    .invoke(
                        ReconfigureBasinRequest.newBuilder()
                            .setBasin(basin)
                            .setConfig(
                                BasinConfig.newBuilder()
                                    .setCreateStreamOnRead(true)
                                    .setDefaultStreamConfig(
                                        StreamConfig.newBuilder()
                                            .setStorageClass(StorageClass.STORAGE_CLASS_STANDARD)))
                            .setMask(
                                FieldMask.newBuilder()
                                    .addPaths("create_stream_on_read")
                                    .addPaths("default_stream_config.storage_class"))
                            .build()))
            .getConfig();
    assertThat(reconfigured.getCreateStreamOnRead()).isTrue();
    assertThat(reconfigured.getDefaultStreamConfig().getStorageClass())
        .isEqualTo(StorageClass.STORAGE_CLASS_STANDARD);
    var got =
        await(
                account
                    .getBasinConfig()
                    .invoke(GetBasinConfigRequest.newBuilder().setBasin(basin).build()))
            .getConfig();
    assertThat(got).isEqualTo(reconfigured);

    var created =
        await(
            basins
                .createStream()
                .addHeader("s2-basin", basin)
                .invoke(
                    CreateStreamRequest.newBuilder()
                        .setStream("logs/app")
                        .setConfig(
                            StreamConfig.newBuilder()
                                .setAge(86400)
                                .setTimestamping(
                                    StreamConfig.Timestamping.newBuilder()
                                        .setMode(TimestampingMode.TIMESTAMPING_MODE_ARRIVAL)))
                        .build()));
    assertThat(created.getInfo().getName()).isEqualTo("logs/app");
    assertThat(created.getInfo().getCreatedAt()).isPositive();
    assertThat(created.getInfo().hasDeletedAt()).isFalse();

    var config =
        await(
                basins
                    .getStreamConfig()
                    .addHeader("s2-basin", basin)
                    .invoke(GetStreamConfigRequest.newBuilder().setStream("logs/app").build()))
            .getConfig();
    assertThat(config.getStorageClass())
        .as("resolved from the basin default")
        .isEqualTo(StorageClass.STORAGE_CLASS_STANDARD);
    assertThat(config.getAge()).isEqualTo(86400);
    assertThat(config.getTimestamping().getMode())
        .isEqualTo(TimestampingMode.TIMESTAMPING_MODE_ARRIVAL);
    assertThat(config.getTimestamping().getUncapped()).isFalse();
    assertThat(config.getDeleteOnEmpty().getMinAgeSecs()).isZero();

    var reconfiguredStream =
        await(
                basins
                    .reconfigureStream()
                    .addHeader("s2-basin", basin)
                    .invoke(
                        ReconfigureStreamRequest.newBuilder()
                            .setStream("logs/app")
                            .setConfig(
                                StreamConfig.newBuilder()
                                    .setDeleteOnEmpty(
                                        StreamConfig.DeleteOnEmpty.newBuilder().setMinAgeSecs(60)))
                            .setMask(FieldMask.newBuilder().addPaths("delete_on_empty"))
                            .build()))
            .getConfig();
    assertThat(reconfiguredStream.getDeleteOnEmpty().getMinAgeSecs()).isEqualTo(60);
    assertThat(reconfiguredStream.getAge()).isEqualTo(86400);

    var streamList =
        await(
            basins
                .listStreams()
                .addHeader("s2-basin", basin)
                .invoke(ListStreamsRequest.newBuilder().setPrefix("logs/").setLimit(1).build()));
    assertThat(streamList.getStreamsList())
        .extracting(s -> s.getName())
        .containsExactly("logs/app");

    await(
        basins
            .deleteStream()
            .addHeader("s2-basin", basin)
            .invoke(DeleteStreamRequest.newBuilder().setStream("logs/app").build()));
    await(account.deleteBasin().invoke(DeleteBasinRequest.newBuilder().setBasin(basin).build()));
    var afterDelete =
        await(account.listBasins().invoke(ListBasinsRequest.newBuilder().setPrefix(basin).build()));
    if (afterDelete.getBasinsCount() > 0) {
      assertThat(afterDelete.getBasins(0).getState()).isEqualTo(BasinState.BASIN_STATE_DELETING);
    }
  }

  @Test
  void accessTokensIssuedOverGrpcWorkOnBothEdgesUntilRevokedOverGrpc() throws Exception {
    String basin = newBasin("tok", true);
    append(basin, AppendInput.newBuilder().setStream("t-1").addRecords(rec("x")).build());
    String id = "grpc-it-" + Long.toHexString(System.nanoTime());
    AccessTokenInfo info =
        AccessTokenInfo.newBuilder()
            .setId(id)
            .setScope(
                AccessTokenScope.newBuilder()
                    .setBasins(ResourceSet.newBuilder().setExact(basin))
                    .setStreams(ResourceSet.newBuilder().setPrefix("t-"))
                    .addOps(Operation.OPERATION_LIST_STREAMS)
                    .addOps(Operation.OPERATION_CHECK_TAIL))
            .build();
    String token =
        await(
                account
                    .issueAccessToken()
                    .invoke(IssueAccessTokenRequest.newBuilder().setInfo(info).build()))
            .getAccessToken();

    // Over REST, inside its scope and outside it.
    HttpResponse<byte[]> listed = restAs(token, "GET", "/v1/streams", basin, null, null, null);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(new String(listed.body())).contains("\"name\":\"t-1\"");
    assertThat(
            restAs(token, "GET", "/v1/streams/t-1/records", basin, null, null, null).statusCode())
        .isEqualTo(403);
    // Over gRPC, inside its scope and outside it; the refused append appends nothing.
    StreamServiceClient scoped = StreamServiceClient.create(settings(client, token), client);
    try {
      assertThat(
              await(
                      scoped
                          .checkTail()
                          .addHeader("s2-basin", basin)
                          .invoke(CheckTailRequest.newBuilder().setStream("t-1").build()))
                  .getNextSeqNum())
          .isEqualTo(1);
      assertStatus(
          failure(
              () ->
                  await(
                      scoped
                          .append()
                          .addHeader("s2-basin", basin)
                          .invoke(
                              AppendRequest.newBuilder()
                                  .setInput(
                                      AppendInput.newBuilder()
                                          .setStream("t-1")
                                          .addRecords(rec("refused")))
                                  .build()))),
          Status.Code.PERMISSION_DENIED,
          "permission_denied");
      assertThat(tail(basin, "t-1")).isEqualTo(1);

      var tokens =
          await(
              account
                  .listAccessTokens()
                  .invoke(ListAccessTokensRequest.newBuilder().setPrefix(id).build()));
      assertThat(tokens.getAccessTokensList()).containsExactly(info);

      var revoked =
          await(
              account
                  .revokeAccessToken()
                  .invoke(RevokeAccessTokenRequest.newBuilder().setId(id).build()));
      assertThat(revoked.getInfo()).isEqualTo(info);
      assertStatus(
          failure(
              () ->
                  await(
                      scoped
                          .checkTail()
                          .addHeader("s2-basin", basin)
                          .invoke(CheckTailRequest.newBuilder().setStream("t-1").build()))),
          Status.Code.UNAUTHENTICATED,
          "authn");
      assertThat(restAs(token, "GET", "/v1/streams", basin, null, null, null).statusCode())
          .isEqualTo(401);
      assertStatus(
          failure(
              () ->
                  await(
                      account
                          .revokeAccessToken()
                          .invoke(RevokeAccessTokenRequest.newBuilder().setId(id).build()))),
          Status.Code.NOT_FOUND,
          "access_token_not_found");
    } finally {
      scoped.close();
    }
  }

  @Test
  void everyStreamMethodAnswers() throws Exception {
    String basin = newBasin("rec", true);
    AppendOutput first =
        append(
            basin,
            AppendInput.newBuilder()
                .setStream("r")
                .addRecords(rec("a"))
                .addRecords(rec("b"))
                .addRecords(rec("c"))
                .build());
    assertThat(first.getEndSeqNum() - first.getStartSeqNum()).isEqualTo(3);
    assertThat(tail(basin, "r")).isEqualTo(3);

    var limited =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .invoke(
                        ReadRequest.newBuilder()
                            .setStream("r")
                            .setTailOffset(2)
                            .setLimit(ReadLimit.newBuilder().setCount(1))
                            .build()))
            .getOutput()
            .getBatch();
    assertThat(limited.getRecordsList()).extracting(SequencedRecord::getSeqNum).containsExactly(1L);
    var byTimestamp =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .invoke(
                        ReadRequest.newBuilder()
                            .setStream("r")
                            .setTimestamp(first.getStartTimestamp())
                            .setUntil(first.getEndTimestamp() + 1)
                            .build()))
            .getOutput()
            .getBatch();
    assertThat(byTimestamp.getRecordsCount()).isEqualTo(3);
    var pastTail =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .invoke(ReadRequest.newBuilder().setStream("r").setSeqNum(10).build()))
            .getOutput();
    assertThat(pastTail.getNextSeqNum()).isEqualTo(3);
    var clamped =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .invoke(
                        ReadRequest.newBuilder()
                            .setStream("r")
                            .setSeqNum(10)
                            .setClamp(true)
                            .build()))
            .getOutput();
    assertThat(clamped.getNextSeqNum())
        .as("clamped to the tail, where a unary read cannot wait")
        .isEqualTo(3);

    List<AppendSessionResponse> acks =
        await(
            streams
                .appendSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    Source.range(0, 49)
                        .map(
                            i ->
                                AppendSessionRequest.newBuilder()
                                    .setInput(
                                        AppendInput.newBuilder()
                                            .setStream(i == 0 ? "r" : "")
                                            .addRecords(rec("s" + i)))
                                    .build()))
                .runWith(Sink.seq(), client));
    assertThat(acks).hasSize(50);
    assertThat(acks.get(49).getOutput().getEndSeqNum()).isEqualTo(53);

    // A session past the tail gets one terminal output with the tail, like a unary read.
    List<ReadSessionResponse> past =
        await(
            streams
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(ReadSessionRequest.newBuilder().setStream("r").setSeqNum(99).build())
                .runWith(Sink.seq(), client));
    assertThat(past).hasSize(1);
    assertThat(past.get(0).getOutput().getNextSeqNum()).isEqualTo(53);

    // until ends a session before the first record at or after it.
    List<ReadSessionResponse> untilSession =
        await(
            streams
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    ReadSessionRequest.newBuilder()
                        .setStream("r")
                        .setSeqNum(0)
                        .setUntil(first.getEndTimestamp() + 1)
                        .build())
                .runWith(Sink.seq(), client));
    long untilCount =
        untilSession.stream().mapToLong(r -> r.getOutput().getBatch().getRecordsCount()).sum();
    assertThat(untilCount).isGreaterThanOrEqualTo(3);
    assertThat(
            untilSession.stream().flatMap(r -> r.getOutput().getBatch().getRecordsList().stream()))
        .allMatch(r -> r.getTimestamp() < first.getEndTimestamp() + 1);
  }

  // ------------------------------------------------------------------ error statuses

  @Test
  void eachErrorHasItsStatusAndS2CodeAndRejectedAppendsAppendNothing() throws Exception {
    String basin = newBasin("err", false);
    await(
        basins
            .createStream()
            .addHeader("s2-basin", basin)
            .invoke(CreateStreamRequest.newBuilder().setStream("e").build()));
    append(basin, AppendInput.newBuilder().setStream("e").addRecords(rec("x")).build());

    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .checkTail()
                        .invoke(CheckTailRequest.newBuilder().setStream("e").build()))),
        Status.Code.INVALID_ARGUMENT,
        "bad_header");
    assertStatus(
        failure(() -> append(basin, AppendInput.newBuilder().setStream("e").build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertStatus(
        failure(
            () ->
                append(
                    basin,
                    AppendInput.newBuilder().setStream("nope").addRecords(rec("x")).build())),
        Status.Code.NOT_FOUND,
        "stream_not_found");
    assertStatus(
        failure(
            () ->
                await(
                    account
                        .getBasinConfig()
                        .invoke(
                            GetBasinConfigRequest.newBuilder()
                                .setBasin("no-such-basin-x")
                                .build()))),
        Status.Code.NOT_FOUND,
        "basin_not_found");
    assertStatus(
        failure(
            () ->
                await(
                    basins
                        .createStream()
                        .addHeader("s2-basin", basin)
                        .invoke(CreateStreamRequest.newBuilder().setStream("e").build()))),
        Status.Code.ALREADY_EXISTS,
        "resource_already_exists");
    assertStatus(
        failure(
            () ->
                append(
                    basin,
                    AppendInput.newBuilder()
                        .setStream("e")
                        .setMatchSeqNum(5)
                        .addRecords(rec("y"))
                        .build())),
        Status.Code.FAILED_PRECONDITION,
        "seq_num_mismatch");
    append(
        basin,
        AppendInput.newBuilder()
            .setStream("e")
            .addRecords(
                AppendRecord.newBuilder()
                    .addHeaders(
                        Header.newBuilder()
                            .setName(ByteString.EMPTY)
                            .setValue(ByteString.copyFromUtf8("fence")))
                    .setBody(ByteString.copyFromUtf8("f1")))
            .build());
    StatusRuntimeException fenced =
        failure(
            () ->
                append(
                    basin,
                    AppendInput.newBuilder()
                        .setStream("e")
                        .setFencingToken("other")
                        .addRecords(rec("z"))
                        .build()));
    assertStatus(fenced, Status.Code.FAILED_PRECONDITION, "fencing_token_mismatch");
    assertThat(
            fenced
                .getTrailers()
                .get(Metadata.Key.of("s2-fencing-token", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("f1");

    // Invalid names and metadata, and batches over the REST edge's limits (1000 records, 1 MiB):
    // INVALID_ARGUMENT with the code REST would answer, and nothing appended.
    assertStatus(
        failure(
            () ->
                await(
                    account
                        .createBasin()
                        .invoke(CreateBasinRequest.newBuilder().setBasin("Bad_Name").build()))),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertStatus(
        failure(
            () ->
                await(
                    basins
                        .createStream()
                        .addHeader("s2-basin", basin)
                        .invoke(CreateStreamRequest.newBuilder().setStream("").build()))),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .checkTail()
                        .addHeader("s2-basin", "No Such Basin!")
                        .invoke(CheckTailRequest.newBuilder().setStream("e").build()))),
        Status.Code.INVALID_ARGUMENT,
        "bad_header");
    assertStatus(
        failure(
            () ->
                await(
                    basins
                        .createStream()
                        .addHeader("s2-basin", basin)
                        .addHeader("s2-request-token", "t".repeat(37))
                        .invoke(CreateStreamRequest.newBuilder().setStream("e2").build()))),
        Status.Code.INVALID_ARGUMENT,
        "bad_header");
    AppendInput.Builder tooMany = AppendInput.newBuilder().setStream("e");
    for (int i = 0; i < 1001; i++) {
      tooMany.addRecords(rec("m"));
    }
    assertStatus(
        failure(() -> append(basin, tooMany.build())), Status.Code.INVALID_ARGUMENT, "invalid");
    assertStatus(
        failure(
            () ->
                append(
                    basin,
                    AppendInput.newBuilder()
                        .setStream("e")
                        .addRecords(
                            AppendRecord.newBuilder()
                                .setBody(ByteString.copyFrom(new byte[1024 * 1024 + 1])))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .append()
                        .addHeader("s2-basin", basin)
                        .addHeader("s2-encryption-key", "not-a-key")
                        .invoke(
                            AppendRequest.newBuilder()
                                .setInput(
                                    AppendInput.newBuilder().setStream("e").addRecords(rec("k")))
                                .build()))),
        Status.Code.INVALID_ARGUMENT,
        "bad_header");
    assertThat(tail(basin, "e")).as("nothing appended by the refused requests").isEqualTo(2);
    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .read()
                        .addHeader("s2-basin", basin)
                        .invoke(
                            ReadRequest.newBuilder()
                                .setStream("e")
                                .setTimestamp(100)
                                .setUntil(50)
                                .build()))),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    await(
        basins
            .deleteStream()
            .addHeader("s2-basin", basin)
            .invoke(DeleteStreamRequest.newBuilder().setStream("e").build()));
    StatusRuntimeException deleted =
        failure(
            () ->
                append(
                    basin, AppendInput.newBuilder().setStream("e").addRecords(rec("w")).build()));
    assertThat(deleted.getStatus().getCode())
        .isIn(Status.Code.FAILED_PRECONDITION, Status.Code.NOT_FOUND);
    assertThat(deleted.getTrailers().get(S2_CODE))
        .isIn("stream_deletion_pending", "stream_not_found");

    // Unknown methods and services.
    RawResult unknown =
        rawCall(
                "s2.v1alpha.StreamService/Teleport",
                MethodDescriptor.MethodType.UNARY,
                basin,
                new byte[0])
            .get(30, TimeUnit.SECONDS);
    assertThat(unknown.status().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  // ------------------------------------------------------------------ cross-protocol

  @Test
  void recordsAppendedOverRestReadBackIdenticallyOverGrpcAndViceVersa() throws Exception {
    // Retention age 0 keeps records forever: the fixed 1970 timestamps below would otherwise be
    // expired (and hidden) at once.
    String basin =
        newBasin(
            "xp",
            BasinConfig.newBuilder()
                .setCreateStreamOnAppend(true)
                .setDefaultStreamConfig(StreamConfig.newBuilder().setAge(0)));
    byte[] binary = new byte[] {0, (byte) 0xFF, 1, 2, (byte) 0x80};
    s2.v1.AppendInput restInput =
        s2.v1.AppendInput.newBuilder()
            .addRecords(
                s2.v1.AppendRecord.newBuilder()
                    .setTimestamp(1_000)
                    .addHeaders(
                        s2.v1.Header.newBuilder()
                            .setName(ByteString.copyFromUtf8("k"))
                            .setValue(ByteString.copyFrom(binary)))
                    .setBody(ByteString.copyFrom(binary)))
            .addRecords(
                s2.v1.AppendRecord.newBuilder()
                    .setTimestamp(1_001)
                    .addHeaders(
                        s2.v1.Header.newBuilder()
                            .setName(ByteString.EMPTY)
                            .setValue(ByteString.copyFromUtf8("trim")))
                    .setBody(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(0, 0).array())))
            .build();
    HttpResponse<byte[]> restAppend =
        rest(
            "POST",
            "/v1/streams/x/records",
            basin,
            "application/protobuf",
            restInput.toByteArray(),
            "application/protobuf");
    assertThat(restAppend.statusCode()).isEqualTo(200);

    AppendOutput grpcAck =
        append(
            basin,
            AppendInput.newBuilder()
                .setStream("x")
                .addRecords(
                    AppendRecord.newBuilder()
                        .setTimestamp(2_000)
                        .addHeaders(
                            Header.newBuilder()
                                .setName(ByteString.copyFromUtf8("g"))
                                .setValue(ByteString.copyFromUtf8("h")))
                        .setBody(ByteString.copyFrom(binary)))
                .addRecords(
                    AppendRecord.newBuilder()
                        .setTimestamp(2_001)
                        .addHeaders(
                            Header.newBuilder()
                                .setName(ByteString.EMPTY)
                                .setValue(ByteString.copyFromUtf8("fence")))
                        .setBody(ByteString.copyFromUtf8("tok")))
                .build());
    assertThat(grpcAck.getStartSeqNum()).isEqualTo(2);
    assertThat(grpcAck.getStartTimestamp()).isEqualTo(2_000);

    List<SequencedRecord> viaGrpc = readAll(basin, "x");
    HttpResponse<byte[]> restRead =
        rest("GET", "/v1/streams/x/records?seq_num=0", basin, null, null, "application/protobuf");
    assertThat(restRead.statusCode()).isEqualTo(200);
    List<s2.v1.SequencedRecord> viaRest =
        s2.v1.ReadBatch.parseFrom(restRead.body()).getRecordsList();

    assertThat(viaGrpc).hasSize(4);
    assertThat(viaRest).hasSize(4);
    for (int i = 0; i < 4; i++) {
      SequencedRecord g = viaGrpc.get(i);
      s2.v1.SequencedRecord r = viaRest.get(i);
      assertThat(g.getSeqNum()).isEqualTo(r.getSeqNum()).isEqualTo(i);
      assertThat(g.getTimestamp()).isEqualTo(r.getTimestamp());
      assertThat(g.getBody()).isEqualTo(r.getBody());
      assertThat(g.getHeadersCount()).isEqualTo(r.getHeadersCount()).isEqualTo(1);
      assertThat(g.getHeaders(0).getName()).isEqualTo(r.getHeaders(0).getName());
      assertThat(g.getHeaders(0).getValue()).isEqualTo(r.getHeaders(0).getValue());
    }
    assertThat(viaGrpc.get(0).getTimestamp()).isEqualTo(1_000);
    assertThat(viaGrpc.get(0).getBody().toByteArray()).isEqualTo(binary);
    assertThat(viaGrpc.get(1).getHeaders(0).getValue().toStringUtf8()).isEqualTo("trim");
    assertThat(viaRest.get(3).getHeaders(0).getValue().toStringUtf8()).isEqualTo("fence");
    assertThat(viaRest.get(3).getBody().toStringUtf8()).isEqualTo("tok");

    // The fence appended over gRPC binds REST appends.
    HttpResponse<byte[]> unfenced =
        rest(
            "POST",
            "/v1/streams/x/records",
            basin,
            "application/json",
            "{\"records\":[{\"body\":\"no\"}],\"fencing_token\":\"wrong\"}".getBytes(),
            null);
    assertThat(unfenced.statusCode()).isEqualTo(412);
    assertThat(new String(unfenced.body())).contains("\"fencing_token_mismatch\":\"tok\"");
  }

  @Test
  void encryptedRecordsAppendedOverEitherEdgeReadBackOverTheOtherWithTheKey() throws Exception {
    String basin = "genc-" + Long.toHexString(System.nanoTime());
    HttpResponse<byte[]> created =
        rest(
            "POST",
            "/v1/basins",
            null,
            "application/json",
            ("{\"basin\":\""
                    + basin
                    + "\",\"config\":{\"stream_cipher\":\"aes-256-gcm\","
                    + "\"create_stream_on_append\":true}}")
                .getBytes(),
            null);
    assertThat(created.statusCode()).as(new String(created.body())).isEqualTo(201);
    byte[] keyBytes = new byte[32];
    new java.security.SecureRandom().nextBytes(keyBytes);
    String key = java.util.Base64.getEncoder().encodeToString(keyBytes);
    s2.v1.AppendInput restInput =
        s2.v1.AppendInput.newBuilder()
            .addRecords(
                s2.v1.AppendRecord.newBuilder()
                    .addHeaders(
                        s2.v1.Header.newBuilder()
                            .setName(ByteString.copyFromUtf8("who"))
                            .setValue(ByteString.copyFromUtf8("rest")))
                    .setBody(ByteString.copyFromUtf8("sealed over REST")))
            .build();
    HttpResponse<byte[]> restAppend =
        restAs(
            server.accessToken(),
            "POST",
            "/v1/streams/v/records",
            basin,
            "application/protobuf",
            restInput.toByteArray(),
            "application/protobuf",
            "s2-encryption-key",
            key);
    assertThat(restAppend.statusCode()).as(new String(restAppend.body())).isEqualTo(200);
    AppendOutput grpcAck =
        await(
                streams
                    .append()
                    .addHeader("s2-basin", basin)
                    .addHeader("s2-encryption-key", key)
                    .invoke(
                        AppendRequest.newBuilder()
                            .setInput(
                                AppendInput.newBuilder()
                                    .setStream("v")
                                    .addRecords(
                                        AppendRecord.newBuilder()
                                            .addHeaders(
                                                Header.newBuilder()
                                                    .setName(ByteString.copyFromUtf8("who"))
                                                    .setValue(ByteString.copyFromUtf8("grpc")))
                                            .setBody(ByteString.copyFromUtf8("sealed over gRPC"))))
                            .build()))
            .getOutput();
    assertThat(grpcAck.getStartSeqNum()).isEqualTo(1);

    List<SequencedRecord> viaGrpc =
        await(
                streams
                    .read()
                    .addHeader("s2-basin", basin)
                    .addHeader("s2-encryption-key", key)
                    .invoke(ReadRequest.newBuilder().setStream("v").setSeqNum(0).build()))
            .getOutput()
            .getBatch()
            .getRecordsList();
    HttpResponse<byte[]> restRead =
        restAs(
            server.accessToken(),
            "GET",
            "/v1/streams/v/records?seq_num=0",
            basin,
            null,
            null,
            "application/protobuf",
            "s2-encryption-key",
            key);
    assertThat(restRead.statusCode()).as(new String(restRead.body())).isEqualTo(200);
    List<s2.v1.SequencedRecord> viaRest =
        s2.v1.ReadBatch.parseFrom(restRead.body()).getRecordsList();
    assertThat(viaGrpc)
        .extracting(r -> r.getBody().toStringUtf8())
        .containsExactly("sealed over REST", "sealed over gRPC");
    assertThat(viaRest)
        .extracting(r -> r.getBody().toStringUtf8())
        .containsExactly("sealed over REST", "sealed over gRPC");
    for (int i = 0; i < 2; i++) {
      assertThat(viaGrpc.get(i).getSeqNum()).isEqualTo(viaRest.get(i).getSeqNum()).isEqualTo(i);
      assertThat(viaGrpc.get(i).getTimestamp()).isEqualTo(viaRest.get(i).getTimestamp());
      assertThat(viaGrpc.get(i).getHeaders(0).getValue())
          .isEqualTo(viaRest.get(i).getHeaders(0).getValue());
    }
    assertThat(viaGrpc.get(0).getHeaders(0).getValue().toStringUtf8()).isEqualTo("rest");
    assertThat(viaRest.get(1).getHeaders(0).getValue().toStringUtf8()).isEqualTo("grpc");

    // Without the key, or with another one, the records stay sealed.
    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .read()
                        .addHeader("s2-basin", basin)
                        .invoke(ReadRequest.newBuilder().setStream("v").setSeqNum(0).build()))),
        Status.Code.INVALID_ARGUMENT,
        "bad_header");
    byte[] otherKey = keyBytes.clone();
    otherKey[0] ^= 1;
    assertStatus(
        failure(
            () ->
                await(
                    streams
                        .read()
                        .addHeader("s2-basin", basin)
                        .addHeader(
                            "s2-encryption-key",
                            java.util.Base64.getEncoder().encodeToString(otherKey))
                        .invoke(ReadRequest.newBuilder().setStream("v").setSeqNum(0).build()))),
        Status.Code.INVALID_ARGUMENT,
        "decryption_failed");
  }

  // ------------------------------------------------------------------ sessions cut off

  @Test
  void anAppendSessionCutMidwayResumesWithMatchSeqNumWithoutLosingOrDuplicatingRecords()
      throws Exception {
    String basin = newBasin("drop", true);
    int total = 200;
    ActorSystem other =
        ActorSystem.create(
            "grpc-it-dropper",
            ConfigFactory.parseString("pekko.loglevel = OFF")
                .withFallback(ConfigFactory.defaultReference()));
    long acked;
    try {
      StreamServiceClient dropper = StreamServiceClient.create(settings(other), other);
      var queue =
          Source.<AppendSessionRequest>queue(1000, OverflowStrategy.backpressure())
              .preMaterialize(other);
      SourceQueueWithComplete<AppendSessionRequest> inputs = queue.first();
      List<AppendSessionResponse> acks = new CopyOnWriteArrayList<>();
      dropper
          .appendSession()
          .addHeader("s2-basin", basin)
          .invoke(queue.second())
          .runForeach(acks::add, other);
      // Every batch says where it must land, so a batch still in flight when the connection goes
      // cannot land twice or out of place, whenever it arrives.
      for (int i = 0; i < total; i++) {
        await(inputs.offer(batch(i == 0 ? "d" : "", i)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (acks.size() < 20 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(acks.size()).isGreaterThanOrEqualTo(20);
      // The connection goes away with the session open and batches in flight.
      await(dropper.close());
      acked = acks.size();
      for (int i = 0; i < acked; i++) {
        assertThat(acks.get(i).getOutput().getStartSeqNum()).isEqualTo(i);
      }
    } finally {
      other.terminate();
    }

    // The client resumes after its last ack. A batch that landed without an ack answers
    // seq_num_mismatch with the seq num to go on from.
    long next = acked;
    int mismatches = 0;
    while (next < total) {
      AppendInput input = batch("d", (int) next).getInput();
      try {
        AppendOutput out = append(basin, input);
        assertThat(out.getStartSeqNum()).isEqualTo(next);
        next++;
      } catch (StatusRuntimeException e) {
        assertStatus(e, Status.Code.FAILED_PRECONDITION, "seq_num_mismatch");
        long expected =
            Long.parseLong(
                e.getTrailers()
                    .get(Metadata.Key.of("s2-expected-seq-num", Metadata.ASCII_STRING_MARSHALLER)));
        assertThat(expected).isGreaterThan(next).isLessThanOrEqualTo(total);
        next = expected;
        assertThat(++mismatches).as("each mismatch moves forward").isLessThan(total);
      }
    }
    // Every record once, in order: the acknowledged ones, the ones that landed unacknowledged,
    // and the resent ones.
    assertThat(tail(basin, "d")).isEqualTo(total);
    List<SequencedRecord> records = readAll(basin, "d");
    assertThat(records).hasSize(total);
    for (int i = 0; i < total; i++) {
      assertThat(records.get(i).getSeqNum()).isEqualTo(i);
      assertThat(records.get(i).getBody().toStringUtf8()).isEqualTo("d" + i);
    }
  }

  /** Batch {@code i} of a resumable session: one record, {@code match_seq_num = i}. */
  private static AppendSessionRequest batch(String stream, int i) {
    return AppendSessionRequest.newBuilder()
        .setInput(
            AppendInput.newBuilder().setStream(stream).setMatchSeqNum(i).addRecords(rec("d" + i)))
        .build();
  }

  @Test
  void aReadSessionCutMidwayResumesFromTheNextSeqNumWithoutGapsOrRepeats() throws Exception {
    String basin = newBasin("rdrop", true);
    int total = 20;
    append(basin, AppendInput.newBuilder().setStream("f").addRecords(rec("f0")).build());
    ActorSystem other =
        ActorSystem.create(
            "grpc-it-reader",
            ConfigFactory.parseString("pekko.loglevel = OFF")
                .withFallback(ConfigFactory.defaultReference()));
    List<SequencedRecord> seen = new CopyOnWriteArrayList<>();
    try {
      StreamServiceClient reader = StreamServiceClient.create(settings(other), other);
      // A session that follows the tail, with heartbeats, while records are appended one by one.
      reader
          .readSession()
          .addHeader("s2-basin", basin)
          .invoke(
              ReadSessionRequest.newBuilder()
                  .setStream("f")
                  .setSeqNum(0)
                  .setHeartbeats(true)
                  .build())
          .runForeach(r -> seen.addAll(r.getOutput().getBatch().getRecordsList()), other);
      for (int i = 1; i < 8; i++) {
        append(basin, AppendInput.newBuilder().setStream("f").addRecords(rec("f" + i)).build());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (seen.size() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(seen.size()).isGreaterThanOrEqualTo(4);
      // The connection goes away mid-session.
      await(reader.close());
    } finally {
      other.terminate();
    }
    List<SequencedRecord> before = List.copyOf(seen);
    for (int i = 8; i < total; i++) {
      append(basin, AppendInput.newBuilder().setStream("f").addRecords(rec("f" + i)).build());
    }
    long resumeAt = before.get(before.size() - 1).getSeqNum() + 1;
    List<SequencedRecord> after = new ArrayList<>();
    for (ReadSessionResponse r :
        await(
            streams
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    ReadSessionRequest.newBuilder()
                        .setStream("f")
                        .setSeqNum(resumeAt)
                        .setLimit(ReadLimit.newBuilder().setCount(total - resumeAt))
                        .build())
                .runWith(Sink.seq(), client))) {
      after.addAll(r.getOutput().getBatch().getRecordsList());
    }
    List<SequencedRecord> all = new ArrayList<>(before);
    all.addAll(after);
    assertThat(all)
        .extracting(SequencedRecord::getSeqNum)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, total).boxed().toList());
    for (int i = 0; i < total; i++) {
      assertThat(all.get(i).getBody().toStringUtf8()).isEqualTo("f" + i);
    }

    // A read session the client cancels does not disturb the next one.
    List<ReadSessionResponse> some =
        await(
            streams
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(ReadSessionRequest.newBuilder().setStream("f").setSeqNum(0).build())
                .take(1)
                .runWith(Sink.seq(), client));
    assertThat(some).hasSize(1);
    assertThat(tail(basin, "f")).isEqualTo(total);
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void malformedProtobufUnknownEnumsAndOversizedMessagesAreRefusedAndAppendNothing()
      throws Exception {
    String basin = newBasin("bad", true);
    append(basin, AppendInput.newBuilder().setStream("b").addRecords(rec("first")).build());

    RawResult malformed =
        rawCall(
                "s2.v1alpha.StreamService/Append",
                MethodDescriptor.MethodType.UNARY,
                basin,
                new byte[] {0x0a, (byte) 0xff, 0x01, 0x02})
            .get(30, TimeUnit.SECONDS);
    assertThat(malformed.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(malformed.s2Code()).isEqualTo("bad_proto");

    RawResult unknownEnum =
        rawCall(
                "s2.v1alpha.BasinService/CreateStream",
                MethodDescriptor.MethodType.UNARY,
                basin,
                bytes(
                    CreateStreamRequest.newBuilder()
                        .setStream("enum")
                        .setConfig(StreamConfig.newBuilder().setStorageClassValue(7))
                        .build()))
            .get(30, TimeUnit.SECONDS);
    assertThat(unknownEnum.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknownEnum.s2Code()).isEqualTo("bad_proto");

    RawResult malformedSession =
        rawCall(
                "s2.v1alpha.StreamService/ReadSession",
                MethodDescriptor.MethodType.SERVER_STREAMING,
                basin,
                new byte[] {0x0a, (byte) 0xff, 0x01})
            .get(30, TimeUnit.SECONDS);
    assertThat(malformedSession.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(malformedSession.s2Code()).isEqualTo("bad_proto");
    assertThat(malformedSession.messages()).isEmpty();

    String tokenId = "grpc-it-enum-" + Long.toHexString(System.nanoTime());
    RawResult unknownOperation =
        rawCall(
                "s2.v1alpha.AccountService/IssueAccessToken",
                MethodDescriptor.MethodType.UNARY,
                null,
                bytes(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(
                            AccessTokenInfo.newBuilder()
                                .setId(tokenId)
                                .setScope(
                                    AccessTokenScope.newBuilder()
                                        .addOps(Operation.OPERATION_READ)
                                        .addOpsValue(77)))
                        .build()))
            .get(30, TimeUnit.SECONDS);
    assertThat(unknownOperation.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknownOperation.s2Code()).isEqualTo("bad_proto");
    assertThat(
            await(
                    account
                        .listAccessTokens()
                        .invoke(ListAccessTokensRequest.newBuilder().setPrefix(tokenId).build()))
                .getAccessTokensList())
        .isEmpty();

    byte[] big = new byte[3 * 1024 * 1024];
    RawResult oversized =
        rawCall(
                "s2.v1alpha.StreamService/Append",
                MethodDescriptor.MethodType.UNARY,
                basin,
                bytes(
                    AppendRequest.newBuilder()
                        .setInput(
                            AppendInput.newBuilder()
                                .setStream("b")
                                .addRecords(
                                    AppendRecord.newBuilder().setBody(ByteString.copyFrom(big))))
                        .build()))
            .get(30, TimeUnit.SECONDS);
    assertThat(oversized.status().getCode())
        .as(oversized.status().toString())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(oversized.s2Code()).isEqualTo("invalid");

    // A session whose third message is garbage: the two before it are acked, nothing after.
    RawResult session =
        rawCall(
                "s2.v1alpha.StreamService/AppendSession",
                MethodDescriptor.MethodType.BIDI_STREAMING,
                basin,
                bytes(
                    AppendSessionRequest.newBuilder()
                        .setInput(AppendInput.newBuilder().setStream("b").addRecords(rec("s1")))
                        .build()),
                bytes(
                    AppendSessionRequest.newBuilder()
                        .setInput(AppendInput.newBuilder().addRecords(rec("s2")))
                        .build()),
                new byte[] {0x0a, (byte) 0xff},
                bytes(
                    AppendSessionRequest.newBuilder()
                        .setInput(AppendInput.newBuilder().addRecords(rec("never")))
                        .build()))
            .get(30, TimeUnit.SECONDS);
    assertThat(session.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(session.s2Code()).isEqualTo("bad_proto");
    assertThat(session.messages()).hasSize(2);

    assertThat(readAll(basin, "b"))
        .extracting(r -> r.getBody().toStringUtf8())
        .containsExactly("first", "s1", "s2");
  }

  @Test
  void clientsThatOpenSessionsAndNeverReadDoNotExhaustTheServer() throws Exception {
    String basin = newBasin("slow", true);
    // 12 MiB in the stream; the server runs with a 256 MiB heap.
    byte[] body = new byte[512 * 1024];
    for (int i = 0; i < 24; i++) {
      append(
          basin,
          AppendInput.newBuilder()
              .setStream("big")
              .addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)))
              .build());
    }
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName("s2.v1alpha.StreamService/ReadSession")
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    List<ClientCall<byte[], byte[]>> stalled = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ClientCall<byte[], byte[]> call = raw.newCall(method, CallOptions.DEFAULT);
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + server.accessToken());
      headers.put(Metadata.Key.of("s2-basin", Metadata.ASCII_STRING_MARSHALLER), basin);
      call.start(new ClientCall.Listener<>() {}, headers);
      // No request(n): the client never takes a message.
      call.sendMessage(
          bytes(ReadSessionRequest.newBuilder().setStream("big").setSeqNum(0).build()));
      call.halfClose();
      stalled.add(call);
    }
    Thread.sleep(3000);
    // 30 sessions x 12 MiB would be 360 MiB if the server buffered what they do not read: it
    // still answers, appends and reads.
    assertThat(tail(basin, "big")).isEqualTo(24);
    append(basin, AppendInput.newBuilder().setStream("other").addRecords(rec("alive")).build());
    assertThat(readAll(basin, "other")).hasSize(1);
    HttpResponse<byte[]> health = rest("GET", "/health", null, null, null, null);
    assertThat(health.statusCode()).isEqualTo(200);
    for (ClientCall<byte[], byte[]> call : stalled) {
      call.cancel("done", null);
    }
  }
}
