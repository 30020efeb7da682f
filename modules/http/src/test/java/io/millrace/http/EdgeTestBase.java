package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Starts the edge on a free port over {@link StubServices} once per test class and drives it with
 * {@link java.net.http.HttpClient} over HTTP/1.1.
 */
abstract class EdgeTestBase {
  /** Request bodies above this are refused in tests (the default is 16 MiB). */
  static final int TEST_MAX_BODY = 256 * 1024;

  static final ObjectMapper MAPPER = new ObjectMapper();
  static final StubServices stubs = new StubServices();
  static final AtomicBoolean ready = new AtomicBoolean(true);

  static TestEdge edge;
  static ServerBinding binding;
  static String base;
  static HttpClient client;

  @BeforeAll
  static void startEdge() throws Exception {
    edge =
        TestEdge.start(
            "edge-test",
            "millrace.http.max-request-body-bytes = "
                + TEST_MAX_BODY
                + "\nmillrace.http.max-drain-bytes = 8m"
                + "\nmillrace.http.request-timeout = 3s"
                // Pekko's own entity limit is lower than the edge's bound on purpose:
                // the edge's bound must be the one that applies.
                + "\npekko.http.server.parsing.max-content-length = 100k",
            stubs,
            stubs,
            ready::get);
    binding = edge.binding;
    base = "http://127.0.0.1:" + edge.port();
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stopEdge() throws Exception {
    edge.close();
  }

  @BeforeEach
  void resetStubs() {
    stubs.reset();
    ready.set(true);
  }

  /** Sends a request; {@code headers} are name, value pairs; a null body sends none. */
  static HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A CORS preflight for {@code /v1/streams} from {@code origin}. */
  static HttpResponse<byte[]> preflight(String origin, String method, String headers)
      throws IOException, InterruptedException {
    return send(
        "OPTIONS",
        "/v1/streams",
        null,
        "Origin",
        origin,
        "Access-Control-Request-Method",
        method,
        "Access-Control-Request-Headers",
        headers);
  }

  static HttpResponse<byte[]> get(String path, String... headers)
      throws IOException, InterruptedException {
    return send("GET", path, null, headers);
  }

  /** Sends a JSON body with {@code Content-Type: application/json}. */
  static HttpResponse<byte[]> sendJson(String method, String path, String json, String... headers)
      throws IOException, InterruptedException {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/json";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return send(method, path, json.getBytes(StandardCharsets.UTF_8), all);
  }

  /**
   * Sends {@code requests} over one HTTP/2 connection with prior knowledge; answers each response's
   * protocol and status ({@code "HTTP/2.0 200"}) with its body, in the order they come back.
   */
  static List<Pair<String, String>> h2Exchange(
      List<org.apache.pekko.http.javadsl.model.HttpRequest> requests) throws Exception {
    ActorSystem<Void> clientSystem = ActorSystem.create(Behaviors.empty(), "h2-client");
    try {
      var flow =
          Http.get(clientSystem)
              .connectionTo("127.0.0.1")
              .toPort(binding.localAddress().getPort())
              .http2WithPriorKnowledge();
      return Source.from(requests)
          .concat(Source.never())
          .via(flow)
          .mapAsync(
              1,
              r ->
                  r.entity()
                      .toStrict(5000, clientSystem)
                      .thenApply(
                          e ->
                              Pair.create(
                                  r.protocol().value() + " " + r.status().intValue(),
                                  e.getData().utf8String())))
          .take(requests.size())
          .runWith(Sink.seq(), clientSystem)
          .toCompletableFuture()
          .get(20, TimeUnit.SECONDS);
    } finally {
      clientSystem.terminate();
    }
  }

  static JsonNode json(HttpResponse<byte[]> response) throws IOException {
    return MAPPER.readTree(response.body());
  }

  static JsonNode json(String text) throws IOException {
    return MAPPER.readTree(text);
  }

  /** Asserts that {@code response} is an S2 error: its status and the {@code code} of its body. */
  static void assertError(HttpResponse<byte[]> response, int status, String code)
      throws IOException {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(json(response).get("code").asText()).isEqualTo(code);
  }

  /** {@link #assertError(HttpResponse, int, String)} describing the case with {@code as}. */
  static void assertError(HttpResponse<byte[]> response, int status, String code, String as)
      throws IOException {
    assertThat(response.statusCode()).as(as).isEqualTo(status);
    assertThat(json(response).get("code").asText()).as(as).isEqualTo(code);
  }

  /** A request made for one case of a table. */
  interface CaseRequest {
    HttpResponse<byte[]> send(String testCase) throws Exception;
  }

  /**
   * Sends {@code request} for each of {@code cases}: each must be refused with {@code status} and
   * {@code code}, and none may reach a service.
   */
  static void assertEachRefused(List<String> cases, CaseRequest request, int status, String code)
      throws Exception {
    for (String testCase : cases) {
      assertError(request.send(testCase), status, code, testCase);
    }
    assertThat(stubs.invocations()).isEmpty();
  }

  static String contentType(HttpResponse<byte[]> response) {
    return response.headers().firstValue("content-type").orElse(null);
  }

  static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }
}
