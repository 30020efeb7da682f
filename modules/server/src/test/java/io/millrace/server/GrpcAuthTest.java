package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import s2.v1alpha.AccessTokenInfo;
import s2.v1alpha.AccessTokenScope;
import s2.v1alpha.AccountServiceClient;
import s2.v1alpha.AppendInput;
import s2.v1alpha.AppendRecord;
import s2.v1alpha.AppendRequest;
import s2.v1alpha.AppendSessionRequest;
import s2.v1alpha.AppendSessionResponse;
import s2.v1alpha.BasinConfig;
import s2.v1alpha.BasinInfo;
import s2.v1alpha.BasinServiceClient;
import s2.v1alpha.CheckTailRequest;
import s2.v1alpha.CreateBasinRequest;
import s2.v1alpha.CreateStreamRequest;
import s2.v1alpha.GetStreamConfigRequest;
import s2.v1alpha.Header;
import s2.v1alpha.IssueAccessTokenRequest;
import s2.v1alpha.ListAccessTokensRequest;
import s2.v1alpha.ListBasinsRequest;
import s2.v1alpha.ListStreamsRequest;
import s2.v1alpha.Operation;
import s2.v1alpha.PermittedOperationGroups;
import s2.v1alpha.ReadRequest;
import s2.v1alpha.ReadSessionRequest;
import s2.v1alpha.ReadWritePermissions;
import s2.v1alpha.ResourceSet;
import s2.v1alpha.RevokeAccessTokenRequest;
import s2.v1alpha.StreamInfo;
import s2.v1alpha.StreamServiceClient;

/**
 * Authentication and scope checks of the gRPC edge in process, on a real node with auth on (the
 * default): the same tokens and the same verdicts as REST, with gRPC statuses.
 */
class GrpcAuthTest {
  @TempDir static Path dataDir;

  private static final EmbeddedServer node = new EmbeddedServer();
  private static ActorSystem clientSystem;
  private static int grpcPort;
  private static String basin;
  private static String otherBasin;

  @BeforeAll
  static void start() throws Exception {
    MillraceServer server =
        node.start(
            ConfigFactory.parseMap(Map.of("millrace.grpc.port", 0))
                .withFallback(Main.config("127.0.0.1", 0, dataDir)),
            new ByteArrayOutputStream());
    grpcPort = server.grpcPort();
    clientSystem =
        ActorSystem.create(
            "grpc-auth-client",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ConfigFactory.defaultReference()));
    basin = "grpc-auth-" + Long.toHexString(System.nanoTime());
    otherBasin = "grpc-other-" + Long.toHexString(System.nanoTime());
    for (String b : List.of(basin, otherBasin)) {
      await(
          account(server.accessToken())
              .createBasin()
              .invoke(
                  CreateBasinRequest.newBuilder()
                      .setBasin(b)
                      .setConfig(BasinConfig.newBuilder().setCreateStreamOnAppend(true))
                      .build()));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (clientSystem != null) {
      clientSystem.terminate();
    }
    node.close();
  }

  // ---------------------------------------------------------------- clients and tokens

  private static GrpcClientSettings settings(String token) {
    GrpcClientSettings s =
        GrpcClientSettings.connectToServiceAt("127.0.0.1", grpcPort, clientSystem).withTls(false);
    return token == null ? s : s.withCallCredentials(new BearerCredentials(token));
  }

  private static AccountServiceClient account(String token) {
    return AccountServiceClient.create(settings(token), clientSystem);
  }

  private static BasinServiceClient basins(String token) {
    return BasinServiceClient.create(settings(token), clientSystem);
  }

  private static StreamServiceClient streams(String token) {
    return StreamServiceClient.create(settings(token), clientSystem);
  }

  private static String root() {
    return node.server().accessToken();
  }

  /** Issues a token over REST (the same token service gRPC uses); returns its secret. */
  private static String issue(String id, String json) throws Exception {
    HttpResponse<String> r = node.sendJson("POST", "/v1/access-tokens", null, json);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return m.group(1);
  }

  private static String uniqueId(String tag) {
    return tag + "-" + Long.toHexString(System.nanoTime());
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  private static Throwable failure(CompletionStage<?> stage) {
    return catchThrowable(() -> await(stage));
  }

  private static void assertRefused(Throwable t, Status.Code status, String s2Code) {
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException e = (StatusRuntimeException) t;
    assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(status);
    assertThat(
            e.getTrailers()
                .get(
                    io.grpc.Metadata.Key.of(
                        "s2-error-code", io.grpc.Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo(s2Code);
  }

  private static AppendRecord record(String body) {
    return AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body)).build();
  }

  /** A fence command record setting the fencing token to {@code token}. */
  private static AppendRecord fence(String token) {
    return AppendRecord.newBuilder()
        .addHeaders(
            Header.newBuilder()
                .setName(ByteString.EMPTY)
                .setValue(ByteString.copyFromUtf8("fence")))
        .setBody(ByteString.copyFromUtf8(token))
        .build();
  }

  private static AppendRequest append(String stream, AppendRecord... records) {
    return AppendRequest.newBuilder()
        .setInput(AppendInput.newBuilder().setStream(stream).addAllRecords(List.of(records)))
        .build();
  }

  private static long tail(String b, String stream) throws Exception {
    return await(
            streams(root())
                .checkTail()
                .addHeader("s2-basin", b)
                .invoke(CheckTailRequest.newBuilder().setStream(stream).build()))
        .getNextSeqNum();
  }

  /** Nothing was appended to {@code stream}: it was never created. */
  private static void assertNoStream(String b, String stream) {
    assertRefused(
        failure(
            streams(root())
                .checkTail()
                .addHeader("s2-basin", b)
                .invoke(CheckTailRequest.newBuilder().setStream(stream).build())),
        Status.Code.NOT_FOUND,
        "stream_not_found");
  }

  /** A token for {@code basin}, streams under {@code s-}, allowed {@code ops}. */
  private static String scoped(String tag, String ops) throws Exception {
    return issue(
        tag,
        "{\"id\":\""
            + uniqueId(tag)
            + "\",\"scope\":{\"basins\":{\"exact\":\""
            + basin
            + "\"},\"streams\":{\"prefix\":\"s-\"},\"ops\":["
            + ops
            + "]}}");
  }

  private static final String DATA_OPS =
      "\"list-basins\",\"list-streams\",\"append\",\"read\",\"check-tail\"";

  // ---------------------------------------------------------------- tests

  @Test
  void callsWithoutATokenAreUnauthenticatedAndDoNothing() throws Exception {
    assertRefused(
        failure(account(null).listBasins().invoke(ListBasinsRequest.getDefaultInstance())),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertRefused(
        failure(
            account(null)
                .createBasin()
                .invoke(CreateBasinRequest.newBuilder().setBasin(uniqueId("nobody")).build())),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertRefused(
        failure(
            streams(null)
                .append()
                .addHeader("s2-basin", basin)
                .invoke(append("s-anon", record("x")))),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertRefused(
        failure(
            streams(null)
                .appendSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    Source.single(
                        AppendSessionRequest.newBuilder()
                            .setInput(append("s-anon", record("x")).getInput())
                            .build()))
                .runWith(Sink.seq(), clientSystem)),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertRefused(
        failure(
            streams(null)
                .readSession()
                .addHeader("s2-basin", basin)
                .invoke(ReadSessionRequest.newBuilder().setStream("s-anon").build())
                .runWith(Sink.seq(), clientSystem)),
        Status.Code.UNAUTHENTICATED,
        "authn");
    // Nothing was created or appended.
    var listed = await(account(root()).listBasins().invoke(ListBasinsRequest.getDefaultInstance()));
    assertThat(listed.getBasinsList()).extracting(BasinInfo::getName).doesNotContain("nobody");
    var streamsListed =
        await(
            basins(root())
                .listStreams()
                .addHeader("s2-basin", basin)
                .invoke(ListStreamsRequest.getDefaultInstance()));
    assertThat(streamsListed.getStreamsList())
        .extracting(StreamInfo::getName)
        .doesNotContain("s-anon");
  }

  @Test
  void aWrongTokenIsUnauthenticated() {
    assertRefused(
        failure(
            account("not-a-token-of-this-node")
                .listBasins()
                .invoke(ListBasinsRequest.getDefaultInstance())),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertRefused(
        failure(
            streams("not-a-token-of-this-node")
                .checkTail()
                .addHeader("s2-basin", basin)
                .invoke(CheckTailRequest.newBuilder().setStream("s-1").build())),
        Status.Code.UNAUTHENTICATED,
        "authn");
  }

  @Test
  void callsOutsideTheScopeArePermissionDeniedAndLoseNothing() throws Exception {
    String token = scoped("out", DATA_OPS);
    StreamServiceClient client = streams(token);
    // Another basin.
    assertRefused(
        failure(
            client.append().addHeader("s2-basin", otherBasin).invoke(append("s-1", record("x")))),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    // A stream outside the token's prefix.
    assertRefused(
        failure(client.append().addHeader("s2-basin", basin).invoke(append("x-1", record("x")))),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    // Operations the token does not allow.
    assertRefused(
        failure(
            account(token)
                .createBasin()
                .invoke(CreateBasinRequest.newBuilder().setBasin(uniqueId("denied")).build())),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertRefused(
        failure(
            basins(token)
                .getStreamConfig()
                .addHeader("s2-basin", basin)
                .invoke(GetStreamConfigRequest.newBuilder().setStream("s-1").build())),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertRefused(
        failure(
            basins(token)
                .createStream()
                .addHeader("s2-basin", basin)
                .invoke(CreateStreamRequest.newBuilder().setStream("s-new").build())),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertRefused(
        failure(
            client
                .readSession()
                .addHeader("s2-basin", otherBasin)
                .invoke(ReadSessionRequest.newBuilder().setStream("s-1").build())
                .runWith(Sink.seq(), clientSystem)),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertNoStream(otherBasin, "s-1");
    assertNoStream(basin, "x-1");
  }

  @Test
  void callsInsideTheScopeWorkAndListsShowOnlyTheScope() throws Exception {
    String token = scoped("in", DATA_OPS);
    StreamServiceClient client = streams(token);
    var out =
        await(client.append().addHeader("s2-basin", basin).invoke(append("s-in", record("a"))));
    assertThat(out.getOutput().getEndSeqNum()).isEqualTo(1);
    var read =
        await(
            client
                .read()
                .addHeader("s2-basin", basin)
                .invoke(ReadRequest.newBuilder().setStream("s-in").setSeqNum(0).build()));
    assertThat(read.getOutput().getBatch().getRecords(0).getBody().toStringUtf8()).isEqualTo("a");
    // The root token sees a stream outside the prefix; the scoped token does not.
    await(
        streams(root())
            .append()
            .addHeader("s2-basin", basin)
            .invoke(append("z-hidden", record("z"))));
    var mine =
        await(
            basins(token)
                .listStreams()
                .addHeader("s2-basin", basin)
                .invoke(ListStreamsRequest.getDefaultInstance()));
    assertThat(mine.getStreamsList()).extracting(StreamInfo::getName).contains("s-in");
    assertThat(mine.getStreamsList())
        .extracting(StreamInfo::getName)
        .allMatch(n -> n.startsWith("s-"));
    var basinsListed =
        await(account(token).listBasins().invoke(ListBasinsRequest.getDefaultInstance()));
    assertThat(basinsListed.getBasinsList()).extracting(BasinInfo::getName).containsExactly(basin);
  }

  @Test
  void fenceCommandRecordsNeedTheFenceOperationInUnaryAppendsAndEverySessionMessage()
      throws Exception {
    String appendOnly = scoped("nofence", DATA_OPS);
    assertRefused(
        failure(
            streams(appendOnly)
                .append()
                .addHeader("s2-basin", basin)
                .invoke(append("s-fence", fence("f1")))),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertNoStream(basin, "s-fence");

    // In a session, the batch before the fence is acknowledged; the fence ends the session.
    List<AppendSessionResponse> acks = new java.util.ArrayList<>();
    Throwable ended =
        failure(
            streams(appendOnly)
                .appendSession()
                .addHeader("s2-basin", basin)
                .invoke(
                    Source.from(
                        List.of(
                            AppendSessionRequest.newBuilder()
                                .setInput(append("s-fence", record("ok")).getInput())
                                .build(),
                            AppendSessionRequest.newBuilder()
                                .setInput(append("", fence("f2")).getInput())
                                .build())))
                .runForeach(acks::add, clientSystem));
    assertRefused(ended, Status.Code.PERMISSION_DENIED, "permission_denied");
    assertThat(acks).hasSize(1);
    assertThat(acks.get(0).getOutput().getEndSeqNum()).isEqualTo(1);
    assertThat(tail(basin, "s-fence")).isEqualTo(1);

    String fencer = scoped("fence", DATA_OPS + ",\"fence\"");
    var fenced =
        await(
            streams(fencer)
                .append()
                .addHeader("s2-basin", basin)
                .invoke(append("s-fence", fence("f3"))));
    assertThat(fenced.getOutput().getEndSeqNum()).isEqualTo(2);
  }

  @Test
  void aRevokedTokenIsUnauthenticated() throws Exception {
    String id = uniqueId("revoked");
    String token =
        issue(
            id,
            "{\"id\":\""
                + id
                + "\",\"scope\":{\"basins\":{\"prefix\":\"\"},\"ops\":[\"list-basins\"]}}");
    var before = await(account(token).listBasins().invoke(ListBasinsRequest.getDefaultInstance()));
    assertThat(before.getBasinsList()).extracting(BasinInfo::getName).contains(basin);
    HttpResponse<String> revoked =
        node.send(HttpRequest.newBuilder(node.uri("/v1/access-tokens/" + id)).DELETE());
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
    assertRefused(
        failure(account(token).listBasins().invoke(ListBasinsRequest.getDefaultInstance())),
        Status.Code.UNAUTHENTICATED,
        "authn");
  }

  @Test
  void autoPrefixedStreamNamesAreRelativeToThePrefixAsOnRest() throws Exception {
    String id = uniqueId("auto");
    String token =
        issue(
            id,
            "{\"id\":\""
                + id
                + "\",\"auto_prefix_streams\":true,\"scope\":{\"basins\":{\"exact\":\""
                + basin
                + "\"},\"streams\":{\"prefix\":\"t/\"},\"ops\":[\"create-stream\",\"list-streams\","
                + "\"append\",\"check-tail\"]}}");
    var created =
        await(
            basins(token)
                .createStream()
                .addHeader("s2-basin", basin)
                .invoke(CreateStreamRequest.newBuilder().setStream("a").build()));
    assertThat(created.getInfo().getName()).isEqualTo("a");
    await(streams(token).append().addHeader("s2-basin", basin).invoke(append("a", record("x"))));
    assertThat(tail(basin, "t/a")).isEqualTo(1);
    var listed =
        await(
            basins(token)
                .listStreams()
                .addHeader("s2-basin", basin)
                .invoke(ListStreamsRequest.getDefaultInstance()));
    assertThat(listed.getStreamsList()).extracting(StreamInfo::getName).containsExactly("a");
  }

  @Test
  void accessTokenRpcsIssueListAndRevokeTheTokensRestSees() throws Exception {
    String id = uniqueId("g-issued");
    long expiresAt = System.currentTimeMillis() / 1000 + 3600;
    IssueAccessTokenRequest request =
        IssueAccessTokenRequest.newBuilder()
            .setInfo(
                AccessTokenInfo.newBuilder()
                    .setId(id)
                    .setExpiresAt((int) expiresAt)
                    .setScope(
                        AccessTokenScope.newBuilder()
                            .setBasins(ResourceSet.newBuilder().setExact(basin))
                            .setStreams(ResourceSet.newBuilder().setPrefix("s-"))
                            .setOpGroups(
                                PermittedOperationGroups.newBuilder()
                                    .setStream(ReadWritePermissions.newBuilder().setRead(true)))
                            // In the order listings give them back (the enum's).
                            .addOps(Operation.OPERATION_LIST_STREAMS)
                            .addOps(Operation.OPERATION_APPEND)))
            .build();
    assertRefused(
        failure(account(null).issueAccessToken().invoke(request)),
        Status.Code.UNAUTHENTICATED,
        "authn");
    String token = await(account(root()).issueAccessToken().invoke(request)).getAccessToken();
    assertThat(token).isNotEmpty();

    // The token works over gRPC inside its scope (append, and read through op_groups) and not
    // outside it.
    await(streams(token).append().addHeader("s2-basin", basin).invoke(append("s-g", record("x"))));
    var read =
        await(
            streams(token)
                .read()
                .addHeader("s2-basin", basin)
                .invoke(ReadRequest.newBuilder().setStream("s-g").setSeqNum(0).build()));
    assertThat(read.getOutput().getBatch().getRecordsList())
        .extracting(r -> r.getBody().toStringUtf8())
        .containsExactly("x");
    assertRefused(
        failure(
            streams(token)
                .append()
                .addHeader("s2-basin", otherBasin)
                .invoke(append("s-g", record("y")))),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    assertRefused(
        failure(account(token).issueAccessToken().invoke(request)),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    // ... and over REST.
    HttpResponse<String> restList =
        http(
            token,
            HttpRequest.newBuilder(node.uri("/v1/streams?prefix=s-g"))
                .header("s2-basin", basin)
                .GET());
    assertThat(restList.statusCode()).as(restList.body()).isEqualTo(200);
    assertThat(restList.body()).contains("\"name\":\"s-g\"");

    // REST lists it as issued over gRPC; gRPC lists it the same way.
    HttpResponse<String> restTokens =
        node.send(HttpRequest.newBuilder(node.uri("/v1/access-tokens?prefix=" + id)).GET());
    assertThat(restTokens.body())
        .contains("\"id\":\"" + id + "\"")
        .contains("\"basins\":{\"exact\":\"" + basin + "\"}")
        .contains("\"streams\":{\"prefix\":\"s-\"}")
        .contains("\"stream\":{\"read\":true,\"write\":false}")
        .contains("\"ops\":[\"list-streams\",\"append\"]");
    var listed =
        await(
            account(root())
                .listAccessTokens()
                .invoke(ListAccessTokensRequest.newBuilder().setPrefix(id).build()));
    assertThat(listed.getHasMore()).isFalse();
    assertThat(listed.getAccessTokensList()).hasSize(1);
    AccessTokenInfo info = listed.getAccessTokens(0);
    assertThat(info).isEqualTo(request.getInfo());

    // A token issued over REST is listed over gRPC too.
    String restId = uniqueId("r-issued");
    issue(
        restId,
        "{\"id\":\""
            + restId
            + "\",\"auto_prefix_streams\":true,\"scope\":{\"streams\":{\"prefix\":\"p/\"},"
            + "\"access_tokens\":{\"exact\":\"x\"},\"ops\":[\"read\",\"fence\"]}}");
    AccessTokenInfo fromRest =
        await(
                account(root())
                    .listAccessTokens()
                    .invoke(ListAccessTokensRequest.newBuilder().setPrefix(restId).build()))
            .getAccessTokens(0);
    assertThat(fromRest.getId()).isEqualTo(restId);
    assertThat(fromRest.getAutoPrefixStreams()).isTrue();
    assertThat(fromRest.hasExpiresAt()).isFalse();
    assertThat(fromRest.getScope().hasBasins()).isFalse();
    assertThat(fromRest.getScope().getStreams().getPrefix()).isEqualTo("p/");
    assertThat(fromRest.getScope().getAccessTokens().getExact()).isEqualTo("x");
    assertThat(fromRest.getScope().getOpsList())
        .containsExactly(Operation.OPERATION_READ, Operation.OPERATION_FENCE);

    // Revoking answers what was revoked; the token is refused at once on both edges.
    var revoked =
        await(
            account(root())
                .revokeAccessToken()
                .invoke(RevokeAccessTokenRequest.newBuilder().setId(id).build()));
    assertThat(revoked.getInfo()).isEqualTo(request.getInfo());
    assertRefused(
        failure(
            streams(token)
                .append()
                .addHeader("s2-basin", basin)
                .invoke(append("s-g", record("z")))),
        Status.Code.UNAUTHENTICATED,
        "authn");
    assertThat(
            http(
                    token,
                    HttpRequest.newBuilder(node.uri("/v1/streams")).header("s2-basin", basin).GET())
                .statusCode())
        .isEqualTo(401);
    assertThat(tail(basin, "s-g")).isEqualTo(1);
    assertRefused(
        failure(
            account(root())
                .revokeAccessToken()
                .invoke(RevokeAccessTokenRequest.newBuilder().setId(id).build())),
        Status.Code.NOT_FOUND,
        "access_token_not_found");
  }

  @Test
  void badAccessTokenRequestsAreRefusedWithTheirCodesAndIssueNothing() throws Exception {
    String id = uniqueId("g-bad");
    AccessTokenInfo.Builder good =
        AccessTokenInfo.newBuilder()
            .setId(id)
            .setScope(
                AccessTokenScope.newBuilder()
                    .setBasins(ResourceSet.newBuilder().setPrefix(""))
                    .addOps(Operation.OPERATION_LIST_BASINS));
    AccountServiceClient root = account(root());
    // No operation granted, an unspecified or unknown operation, a past expiry, a bad id, no info.
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(good.clone().setScope(AccessTokenScope.getDefaultInstance()))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(
                            good.clone()
                                .setScope(
                                    good.getScope().toBuilder()
                                        .addOps(Operation.OPERATION_UNSPECIFIED)))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "bad_proto");
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(good.clone().setScope(good.getScope().toBuilder().addOpsValue(99)))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "bad_proto");
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(good.clone().setExpiresAt(1000))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(
                    IssueAccessTokenRequest.newBuilder()
                        .setInfo(good.clone().setId("a".repeat(97)))
                        .build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertRefused(
        failure(root.issueAccessToken().invoke(IssueAccessTokenRequest.getDefaultInstance())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertThat(
            await(
                    root.listAccessTokens()
                        .invoke(ListAccessTokensRequest.newBuilder().setPrefix(id).build()))
                .getAccessTokensList())
        .isEmpty();

    // A token cannot issue one broader than itself; the same id cannot be issued twice.
    String narrowId = uniqueId("g-narrow");
    String narrow =
        issue(
            narrowId,
            "{\"id\":\""
                + narrowId
                + "\",\"scope\":{\"basins\":{\"exact\":\""
                + basin
                + "\"},\"access_tokens\":{\"prefix\":\"\"},\"ops\":[\"issue-access-token\","
                + "\"list-basins\"]}}");
    assertRefused(
        failure(
            account(narrow)
                .issueAccessToken()
                .invoke(IssueAccessTokenRequest.newBuilder().setInfo(good).build())),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
    await(
        root.issueAccessToken().invoke(IssueAccessTokenRequest.newBuilder().setInfo(good).build()));
    assertRefused(
        failure(
            root.issueAccessToken()
                .invoke(IssueAccessTokenRequest.newBuilder().setInfo(good).build())),
        Status.Code.ALREADY_EXISTS,
        "resource_already_exists");

    // Bad revoke ids and list filters.
    assertRefused(
        failure(root.revokeAccessToken().invoke(RevokeAccessTokenRequest.getDefaultInstance())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertRefused(
        failure(
            root.listAccessTokens()
                .invoke(ListAccessTokensRequest.newBuilder().setPrefix("a".repeat(97)).build())),
        Status.Code.INVALID_ARGUMENT,
        "invalid");
    assertRefused(
        failure(
            account(narrow)
                .revokeAccessToken()
                .invoke(RevokeAccessTokenRequest.newBuilder().setId(id).build())),
        Status.Code.PERMISSION_DENIED,
        "permission_denied");
  }

  /** A REST request with {@code token} as the bearer token. */
  private static HttpResponse<String> http(String token, HttpRequest.Builder request)
      throws Exception {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            request.header("Authorization", "Bearer " + token).build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
