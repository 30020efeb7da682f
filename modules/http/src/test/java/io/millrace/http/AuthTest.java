package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import io.millrace.core.auth.ResourceSet;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.StreamPosition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Authentication (401) and scope checks (403) at the edge, with auth on. */
class AuthTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final StubServices stubs = new StubServices();
  private static final FakeTokens tokens = new FakeTokens();
  private static TestEdge edge;
  private static String base;
  private static final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Reads streams under logs/ of basin b1; appends without fence or trim. */
  private static final String READER = "reader-token";

  /** Streams of basin b1 under t1/, with auto_prefix_streams. */
  private static final String TENANT = "tenant-token";

  /** Lists basins starting with team-. */
  private static final String LISTER = "lister-token";

  @BeforeAll
  static void start() throws Exception {
    tokens.principals.put("root-token", Principal.root());
    tokens.principals.put(
        READER,
        principal(
            false,
            new AccessTokenScope(
                ResourceSet.exact("basin-one"),
                ResourceSet.prefix("logs/"),
                null,
                new OpGroups(null, null, new OpGroups.ReadWrite(true, false)),
                EnumSet.of(Operation.APPEND))));
    tokens.principals.put(
        TENANT,
        principal(
            true,
            new AccessTokenScope(
                ResourceSet.exact("basin-one"),
                ResourceSet.prefix("t1/"),
                null,
                new OpGroups(
                    null, new OpGroups.ReadWrite(true, true), new OpGroups.ReadWrite(true, true)),
                null)));
    tokens.principals.put(
        LISTER,
        principal(
            false,
            new AccessTokenScope(
                ResourceSet.prefix("team-"), null, null, null, EnumSet.of(Operation.LIST_BASINS))));
    edge =
        TestEdge.start(
            "auth-test", "", new HttpSettings("127.0.0.1", 0), stubs, stubs, tokens, () -> true);
    base = "http://127.0.0.1:" + edge.port();
  }

  private static Principal principal(boolean autoPrefix, AccessTokenScope scope) {
    return Principal.of(new AccessTokenInfo("t", null, autoPrefix, scope));
  }

  @AfterAll
  static void stop() throws Exception {
    edge.close();
  }

  @BeforeEach
  void reset() {
    stubs.reset();
    tokens.revoked.clear();
    tokens.issued.clear();
  }

  private static HttpResponse<byte[]> send(
      String method, String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String[] bearer(String token, String... more) {
    String[] all = new String[more.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + token;
    System.arraycopy(more, 0, all, 2, more.length);
    return all;
  }

  private static void assertError(HttpResponse<byte[]> r, int status, String code)
      throws Exception {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(r.statusCode()).as(body).isEqualTo(status);
    JsonNode n = MAPPER.readTree(body);
    assertThat(n.path("code").asText()).as(body).isEqualTo(code);
    assertThat(n.path("message").asText()).isNotBlank();
  }

  @Test
  void requestsWithoutAValidBearerTokenAreRefusedWith401AndReachNoService() throws Exception {
    HttpResponse<byte[]> none = send("GET", "/v1/basins", null);
    assertError(none, 401, "authn");
    assertThat(none.headers().firstValue("www-authenticate")).contains("Bearer");
    assertError(
        send("GET", "/v1/basins", null, "Authorization", "Basic dXNlcjpwYXNz"), 401, "authn");
    assertError(send("GET", "/v1/basins", null, "Authorization", "Bearer"), 401, "authn");
    assertError(send("GET", "/v1/basins", null, bearer("nobody")), 401, "authn");
    assertError(
        send(
            "POST", "/v1/streams", "{\"stream\":\"x\"}", bearer("nobody", "s2-basin", "basin-one")),
        401,
        "authn");
    assertError(send("GET", "/v1/no-such-area", null), 401, "authn");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void healthNeedsNoToken() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/health", null);
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void theRootTokenReachesEveryEndpoint() throws Exception {
    stubs.answer("listBasins", new ListPage<>(List.of(), false));
    HttpResponse<byte[]> r = send("GET", "/v1/basins?prefix=x", null, bearer("root-token"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(stubs.only("listBasins").args()).containsExactly(new ListRequest("x", "", 1000));
  }

  @Test
  void requestsOutsideTheTokensScopeAreRefusedWith403() throws Exception {
    stubs.answer("checkTail", new StreamPosition(0, 0));
    HttpResponse<byte[]> ok =
        send(
            "GET",
            "/v1/streams/logs%2Fa/records/tail",
            null,
            bearer(READER, "s2-basin", "basin-one"));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertError(
        send(
            "GET", "/v1/streams/other/records/tail", null, bearer(READER, "s2-basin", "basin-one")),
        403,
        "permission_denied");
    assertError(
        send(
            "GET",
            "/v1/streams/logs%2Fa/records/tail",
            null,
            bearer(READER, "s2-basin", "basin-two")),
        403,
        "permission_denied");
    assertError(
        send("DELETE", "/v1/streams/logs%2Fa", null, bearer(READER, "s2-basin", "basin-one")),
        403,
        "permission_denied");
    assertError(
        send("POST", "/v1/basins", "{\"basin\":\"b1-basin\"}", bearer(READER)),
        403,
        "permission_denied");
    assertError(send("GET", "/v1/access-tokens", null, bearer(READER)), 403, "permission_denied");
    assertThat(stubs.invocations())
        .extracting(StubServices.Invocation::method)
        .containsExactly("checkTail");
  }

  @Test
  void anAppendWithAFenceCommandNeedsTheFenceOperation() throws Exception {
    stubs.answer(
        "append",
        new io.millrace.core.api.AppendOutcome.Appended(
            new AppendAck(
                new StreamPosition(0, 1), new StreamPosition(1, 1), new StreamPosition(1, 1))));
    HttpResponse<byte[]> ok =
        send(
            "POST",
            "/v1/streams/logs%2Fa/records",
            "{\"records\":[{\"body\":\"x\"}]}",
            bearer(READER, "s2-basin", "basin-one"));
    assertThat(ok.statusCode()).as(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertError(
        send(
            "POST",
            "/v1/streams/logs%2Fa/records",
            "{\"records\":[{\"headers\":[[\"\",\"fence\"]],\"body\":\"tok\"}]}",
            bearer(READER, "s2-basin", "basin-one")),
        403,
        "permission_denied");
  }

  @Test
  void listsAreNarrowedToTheTokensBasins() throws Exception {
    stubs.answer("listBasins", new ListPage<>(List.of(), false));
    HttpResponse<byte[]> r = send("GET", "/v1/basins", null, bearer(LISTER));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(stubs.only("listBasins").args()).containsExactly(new ListRequest("team-", "", 1000));
    stubs.reset();
    HttpResponse<byte[]> none = send("GET", "/v1/basins?prefix=other", null, bearer(LISTER));
    assertThat(MAPPER.readTree(none.body()).path("basins").size()).isZero();
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void autoPrefixStreamsPrefixesNamesInRequestsAndStripsThemInAnswers() throws Exception {
    stubs.answer("getStreamConfig", StreamConfig.SYSTEM_DEFAULT);
    HttpResponse<byte[]> r =
        send("GET", "/v1/streams/events", null, bearer(TENANT, "s2-basin", "basin-one"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(stubs.only("getStreamConfig").args()).containsExactly("basin-one", "t1/events");

    stubs.answer(
        "listStreams",
        new ListPage<>(List.of(new StreamInfo("t1/events", Instant.EPOCH, null, null)), false));
    HttpResponse<byte[]> list =
        send(
            "GET",
            "/v1/streams?prefix=ev&start_after=e",
            null,
            bearer(TENANT, "s2-basin", "basin-one"));
    assertThat(stubs.only("listStreams").args())
        .containsExactly("basin-one", new ListRequest("t1/ev", "t1/e", 1000));
    assertThat(MAPPER.readTree(list.body()).path("streams").get(0).path("name").asText())
        .isEqualTo("events");

    stubs.answer(
        "createStream",
        new Provisioned<>(
            new StreamInfo("t1/new", Instant.EPOCH, null, null), ProvisionResult.CREATED));
    HttpResponse<byte[]> created =
        send(
            "POST", "/v1/streams", "{\"stream\":\"new\"}", bearer(TENANT, "s2-basin", "basin-one"));
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(stubs.only("createStream").args().get(1)).isEqualTo("t1/new");
    assertThat(MAPPER.readTree(created.body()).path("name").asText()).isEqualTo("new");
  }

  @Test
  void accessTokenEndpointsIssueListAndRevoke() throws Exception {
    HttpResponse<byte[]> issued =
        send(
            "POST",
            "/v1/access-tokens",
            "{\"id\":\"svc\",\"expires_at\":\"2030-01-01T00:00:00Z\",\"scope\":{\"ops\":[\"read\"],"
                + "\"streams\":{\"prefix\":\"\"},\"op_groups\":{\"account\":{\"read\":true}}}}",
            bearer("root-token"));
    assertThat(issued.statusCode()).isEqualTo(201);
    assertThat(MAPPER.readTree(issued.body()).path("access_token").asText())
        .isEqualTo("secret-svc");
    AccessTokenInfo req = tokens.issued.get(0);
    assertThat(req.expiresAt()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    assertThat(req.scope().ops()).containsExactly(Operation.READ);
    assertThat(req.scope().streams()).isEqualTo(ResourceSet.prefix(""));
    assertThat(req.scope().opGroups().account()).isEqualTo(new OpGroups.ReadWrite(true, false));

    HttpResponse<byte[]> list =
        send("GET", "/v1/access-tokens?limit=5", null, bearer("root-token"));
    JsonNode page = MAPPER.readTree(list.body());
    assertThat(page.path("access_tokens").get(0).path("id").asText()).isEqualTo("svc");
    assertThat(page.path("access_tokens").get(0).path("scope").path("ops").get(0).asText())
        .isEqualTo("read");
    assertThat(page.path("has_more").asBoolean()).isFalse();

    HttpResponse<byte[]> revoked =
        send("DELETE", "/v1/access-tokens/svc", null, bearer("root-token"));
    assertThat(revoked.statusCode()).isEqualTo(204);
    assertThat(tokens.revoked).containsExactly("svc");
  }

  @Test
  void malformedIssueRequestsAreRefusedWith400() throws Exception {
    for (String body :
        List.of(
            "{\"id\":\"a\",\"scope\":{\"ops\":[\"teleport\"]}}",
            "{\"id\":\"a\",\"scope\":{\"ops\":[\"\"]}}",
            "{\"id\":\"a\",\"scope\":{\"basins\":{\"exact\":\"a\",\"prefix\":\"b\"}}}",
            "{\"id\":\"a\",\"scope\":{\"basins\":{}}}",
            "{\"id\":\"a\",\"scope\":{\"ops\":[\"read\"]},\"expires_at\":\"tomorrow\"}",
            "{\"id\":5,\"scope\":{}}",
            "{\"id\":\"a\"}",
            "not json")) {
      assertError(send("POST", "/v1/access-tokens", body, bearer("root-token")), 400, "bad_json");
    }
    assertError(
        send("DELETE", "/v1/access-tokens/" + "a".repeat(97), null, bearer("root-token")),
        400,
        "bad_path");
    assertThat(tokens.issued).isEmpty();
  }

  /** Tokens by their bearer string. */
  private static final class FakeTokens implements AccessTokenService {
    final Map<String, Principal> principals = new java.util.concurrent.ConcurrentHashMap<>();
    final List<AccessTokenInfo> issued = new CopyOnWriteArrayList<>();
    final List<String> revoked = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Principal> authenticate(String bearerToken) {
      Principal p = principals.get(bearerToken);
      return p == null
          ? CompletableFuture.failedFuture(new S2Exception(ErrorCode.AUTHN, "unknown access token"))
          : CompletableFuture.completedFuture(p);
    }

    @Override
    public CompletionStage<String> issue(Principal issuer, AccessTokenInfo request) {
      issued.add(request);
      return CompletableFuture.completedFuture("secret-" + request.id());
    }

    @Override
    public CompletionStage<ListPage<AccessTokenInfo>> list(Principal caller, ListRequest request) {
      return CompletableFuture.completedFuture(new ListPage<>(List.copyOf(issued), false));
    }

    @Override
    public CompletionStage<AccessTokenInfo> revoke(Principal caller, String id) {
      revoked.add(id);
      return CompletableFuture.completedFuture(
          issued.stream().filter(t -> t.id().equals(id)).findFirst().orElse(null));
    }
  }
}
