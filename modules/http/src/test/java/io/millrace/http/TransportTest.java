package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.StreamPosition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class TransportTest extends EdgeTestBase {
  private static final Instant T0 = Instant.parse("2026-11-26T06:00:00Z");

  @Test
  void healthIsOkWhenReadyAndUnavailableBefore() throws Exception {
    HttpResponse<byte[]> ok = get("/health");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(text(ok)).isEqualTo("OK");
    assertThat(get("/ping").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> head = send("HEAD", "/health", null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();

    ready.set(false);
    HttpResponse<byte[]> notReady = get("/health");
    assertError(notReady, 503, "unavailable");
    assertThat(get("/ping").statusCode()).isEqualTo(503);
  }

  @Test
  void unknownRouteIsJson404() throws Exception {
    for (String path :
        List.of("/", "/v2/basins", "/v1/nothing", "/v1/streams/s/records/x", "/v1/basins/")) {
      HttpResponse<byte[]> r = get(path, "s2-basin", "my-basin-1");
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(contentType(r)).isEqualTo("application/json");
      assertThat(json(r).get("code").asText()).isEqualTo("not_found");
    }
  }

  @Test
  void wrongMethodIsJson405WithAllowHeader() throws Exception {
    HttpResponse<byte[]> r = send("DELETE", "/v1/basins", null);
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r).get("message").asText()).contains("DELETE");
    assertThat(r.headers().firstValue("allow")).contains("GET, POST");

    HttpResponse<byte[]> tail = send("POST", "/v1/streams/s/records/tail", new byte[0]);
    assertThat(tail.statusCode()).isEqualTo(405);
    assertThat(tail.headers().firstValue("allow")).contains("GET");
  }

  @Test
  void accessTokensAndMetricsAreNotImplemented() throws Exception {
    List<String[]> calls =
        List.of(
            new String[] {"GET", "/v1/access-tokens"},
            new String[] {"POST", "/v1/access-tokens"},
            new String[] {"DELETE", "/v1/access-tokens/tok-1"},
            new String[] {"GET", "/v1/metrics?set=account-ops"},
            new String[] {"GET", "/v1/metrics/my-basin-1?set=storage"},
            new String[] {"GET", "/v1/metrics/my-basin-1/a%2Fb?set=storage"});
    for (String[] c : calls) {
      HttpResponse<byte[]> r = send(c[0], c[1], c[0].equals("GET") ? null : "{}".getBytes());
      assertThat(r.statusCode()).as(c[0] + " " + c[1]).isEqualTo(501);
      assertThat(contentType(r)).isEqualTo("application/json");
      assertThat(json(r).get("code").asText()).isEqualTo("not_implemented");
    }
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void corsAllowsAnyOriginWithoutCredentialsAndExposesProvisionResult() throws Exception {
    stubs.answer("getBasinConfig", io.millrace.core.config.BasinConfig.DEFAULT);
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1", "Origin", "https://console.example");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().allValues("access-control-allow-origin")).containsExactly("*");
    assertThat(r.headers().firstValue("access-control-allow-credentials")).isEmpty();
    assertThat(r.headers().firstValue("access-control-expose-headers").orElse(""))
        .contains("s2-provision-result");

    HttpResponse<byte[]> preflight =
        preflight("https://console.example", "POST", "content-type, s2-basin, s2-request-token");
    assertThat(preflight.statusCode()).isEqualTo(200);
    assertThat(preflight.headers().allValues("access-control-allow-origin")).containsExactly("*");
    assertThat(preflight.headers().allValues("access-control-allow-methods"))
        .containsExactly("POST");
    assertThat(preflight.headers().allValues("access-control-allow-headers"))
        .containsExactly("content-type, s2-basin, s2-request-token");
    assertThat(stubs.invocations()).hasSize(1);
  }

  @Test
  void requestsWithoutOriginGetNoCorsHeaders() throws Exception {
    HttpResponse<byte[]> r = get("/health");
    assertThat(r.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  private static ListPage<BasinInfo> manyBasins(int n) {
    List<BasinInfo> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(new BasinInfo(String.format("basin-%04d", i), null, T0, null));
    }
    return new ListPage<>(items, false);
  }

  @Test
  void largeResponsesAreCompressedWithZstdWhenOfferedElseGzip() throws Exception {
    stubs.answer("listBasins", manyBasins(40));
    HttpResponse<byte[]> plain = get("/v1/basins");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.body().length).isGreaterThan(1024);
    assertThat(plain.headers().firstValue("content-encoding")).isEmpty();

    HttpResponse<byte[]> zstd = get("/v1/basins", "Accept-Encoding", "gzip, zstd");
    assertThat(zstd.headers().firstValue("content-encoding")).contains("zstd");
    assertThat(contentType(zstd)).isEqualTo("application/json");
    byte[] unzstd = Zstd.decompress(zstd.body(), plain.body().length);
    assertThat(unzstd).isEqualTo(plain.body());
    assertThat(zstd.body().length).isLessThan(plain.body().length);

    HttpResponse<byte[]> gzip = get("/v1/basins", "Accept-Encoding", "gzip");
    assertThat(gzip.headers().firstValue("content-encoding")).contains("gzip");
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gzip.body())).readAllBytes())
        .isEqualTo(plain.body());

    HttpResponse<byte[]> refused = get("/v1/basins", "Accept-Encoding", "zstd;q=0, gzip;q=0");
    assertThat(refused.headers().firstValue("content-encoding")).isEmpty();
  }

  @Test
  void smallResponsesAreNotCompressed() throws Exception {
    stubs.answer("listBasins", manyBasins(2));
    HttpResponse<byte[]> r = get("/v1/basins", "Accept-Encoding", "zstd, gzip");
    assertThat(r.body().length).isLessThan(1024);
    assertThat(r.headers().firstValue("content-encoding")).isEmpty();
    assertThat(json(r).get("basins")).hasSize(2);
  }

  private static final AppendAck ACK =
      new AppendAck(
          new StreamPosition(0, 10), new StreamPosition(1, 10), new StreamPosition(1, 10));

  /** Appends {@code body} to stream {@code s}, compressed with {@code encoding}. */
  private static HttpResponse<byte[]> appendEncoded(
      byte[] body, String contentType, String encoding) throws Exception {
    return send(
        "POST",
        "/v1/streams/s/records",
        body,
        "Content-Type",
        contentType,
        "Content-Encoding",
        encoding,
        "s2-basin",
        "my-basin-1");
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void gzipAndZstdRequestBodiesAreDecoded() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    byte[] body = "{\"records\":[{\"body\":\"compressed\"}]}".getBytes(StandardCharsets.UTF_8);

    HttpResponse<byte[]> g = appendEncoded(gzip(body), "application/json", "gzip");
    assertThat(g.statusCode()).isEqualTo(200);

    HttpResponse<byte[]> z = appendEncoded(Zstd.compress(body), "application/json", "zstd");
    assertThat(z.statusCode()).isEqualTo(200);

    assertThat(stubs.invocations()).hasSize(2);
    for (StubServices.Invocation inv : stubs.invocations()) {
      AppendInput input = (AppendInput) inv.arg(2);
      assertThat(new String(input.records().get(0).body(), StandardCharsets.UTF_8))
          .isEqualTo("compressed");
    }
  }

  @Test
  void undecodableCompressedBodiesAreBadRequestsNotServerErrors() throws Exception {
    HttpResponse<byte[]> g =
        appendEncoded("not gzip at all".getBytes(), "application/json", "gzip");
    assertError(g, 400, "bad_json");

    HttpResponse<byte[]> z = appendEncoded("not zstd".getBytes(), "application/protobuf", "zstd");
    assertError(z, 400, "bad_proto");

    HttpResponse<byte[]> br = appendEncoded("x".getBytes(), "application/json", "br");
    assertError(br, 400, "bad_header");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void oversizedBodiesGetA413JsonAnswerNotAReset() throws Exception {
    byte[] big = new byte[TEST_MAX_BODY * 3];
    java.util.Arrays.fill(big, (byte) 'a');
    HttpResponse<byte[]> r =
        send(
            "POST",
            "/v1/streams/s/records",
            big,
            "Content-Type",
            "application/json",
            "s2-basin",
            "my-basin-1");
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r).get("message").asText()).contains(String.valueOf(TEST_MAX_BODY));
    assertThat(stubs.invocations()).isEmpty();

    // The connection stays usable.
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void bodiesUpToTheConfiguredBoundAreAcceptedEvenAbovePekkosDefaultLimit() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    String body = "{\"records\":[{\"body\":\"" + "b".repeat(200 * 1024) + "\"}]}";
    HttpResponse<byte[]> r =
        sendJson("POST", "/v1/streams/s/records", body, "s2-basin", "my-basin-1");
    assertThat(r.statusCode()).isEqualTo(200);
    AppendInput input = (AppendInput) stubs.only("append").arg(2);
    assertThat(input.records().get(0).body()).hasSize(200 * 1024);
  }

  @Test
  void compressedBodiesThatInflateBeyondTheBoundAreRefused() throws Exception {
    byte[] big = new byte[TEST_MAX_BODY * 4];
    java.util.Arrays.fill(big, (byte) ' ');
    byte[] bomb = gzip(big);
    assertThat(bomb.length).isLessThan(TEST_MAX_BODY);
    HttpResponse<byte[]> r = appendEncoded(bomb, "application/json", "gzip");
    assertError(r, 413, "invalid");
  }

  @Test
  void unexpectedServiceFailuresAre500Other() throws Exception {
    stubs.fail("getBasinConfig", new IllegalStateException("boom"));
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r).get("code").asText()).isEqualTo("other");

    stubs.fail("checkTail", new S2Exception(ErrorCode.STORAGE, "disk on fire"));
    HttpResponse<byte[]> s = get("/v1/streams/s/records/tail", "s2-basin", "my-basin-1");
    assertError(s, 500, "storage");
    assertThat(json(s).get("message").asText()).isEqualTo("disk on fire");
  }

  /**
   * Sends requests over one cleartext HTTP/2 connection with prior knowledge and returns, per
   * response, "protocol status" and the body. A client system of its own keeps client and server
   * logs apart; each entity is read inside the stream, before the connection closes.
   */
  @Test
  void cleartextHttp2WithPriorKnowledgeWorksOnTheSamePort() throws Exception {
    stubs.answer("checkTail", new StreamPosition(7, 70));
    List<org.apache.pekko.japi.Pair<String, String>> responses =
        h2Exchange(
            List.of(
                HttpRequest.GET("/health"),
                HttpRequest.GET("/v1/streams/logs%2Fapp/records/tail")
                    .addHeader(RawHeader.create("s2-basin", "my-basin-1"))));
    assertThat(responses)
        .extracting(p -> p.first())
        .containsExactly("HTTP/2.0 200", "HTTP/2.0 200");
    // HTTP/2 multiplexes: the responses may come back in either order.
    assertThat(responses)
        .extracting(p -> p.second())
        .containsExactlyInAnyOrder("OK", "{\"tail\":{\"seq_num\":7,\"timestamp\":70}}");
    assertThat(stubs.only("checkTail").arg(1)).isEqualTo("logs/app");
  }

  @Test
  void aServiceThatNeverAnswersGetsA408OverHttp2Too() throws Exception {
    stubs.answer("getBasinConfig", new java.util.concurrent.CompletableFuture<>());
    List<org.apache.pekko.japi.Pair<String, String>> responses =
        h2Exchange(List.of(HttpRequest.GET("/v1/basins/my-basin-1")));
    assertThat(responses.get(0).first()).isEqualTo("HTTP/2.0 408");
    assertThat(json(responses.get(0).second()).get("code").asText()).isEqualTo("request_timeout");
  }

  @Test
  void aServiceThatNeverAnswersGetsA408JsonAnswerInsteadOfAHang() throws Exception {
    stubs.answer("getBasinConfig", new java.util.concurrent.CompletableFuture<>());
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1");
    assertThat(r.statusCode()).isEqualTo(408);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r).get("code").asText()).isEqualTo("request_timeout");
  }

  private static String rawExchange(String request) throws Exception {
    try (java.net.Socket socket =
        new java.net.Socket("127.0.0.1", binding.localAddress().getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      java.io.InputStream in = socket.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        String sofar = out.toString(StandardCharsets.ISO_8859_1);
        int headerEnd = sofar.indexOf("\r\n\r\n");
        if (headerEnd > 0) {
          java.util.regex.Matcher m =
              java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(sofar);
          if (m.find() && sofar.length() >= headerEnd + 4 + Integer.parseInt(m.group(1))) {
            break;
          }
        }
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void requestsPekkoCannotParseGetJsonErrors() throws Exception {
    String badHeader = rawExchange("GET /health HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n");
    assertThat(badHeader).startsWith("HTTP/1.1 400");
    assertThat(badHeader).containsIgnoringCase("content-type: application/json");
    assertThat(badHeader).contains("\"code\":\"bad_header\"");

    String longUri =
        rawExchange("GET /v1/streams/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(longUri).startsWith("HTTP/1.1 414");
    assertThat(longUri).contains("\"code\":\"bad_path\"");
  }

  @Test
  void badInputIsNeverAServerError() throws Exception {
    // Every service answers successfully: whatever reaches a service is well-formed, and
    // whatever is not must be refused with a 4xx before.
    BasinInfo basin = new BasinInfo("my-basin-1", null, T0, null);
    io.millrace.core.api.StreamInfo stream =
        new io.millrace.core.api.StreamInfo("s", T0, null, null);
    var createdBasin =
        new io.millrace.core.api.Provisioned<>(basin, io.millrace.core.api.ProvisionResult.CREATED);
    var createdStream =
        new io.millrace.core.api.Provisioned<>(
            stream, io.millrace.core.api.ProvisionResult.CREATED);
    stubs
        .answer("listBasins", manyBasins(1))
        .answer("createBasin", createdBasin)
        .answer("ensureBasin", createdBasin)
        .answer("getBasinConfig", io.millrace.core.config.BasinConfig.DEFAULT)
        .answer("reconfigureBasin", io.millrace.core.config.BasinConfig.DEFAULT)
        .answer("deleteBasin", null)
        .answer("listStreams", new ListPage<>(List.of(stream), false))
        .answer("createStream", createdStream)
        .answer("ensureStream", createdStream)
        .answer("getStreamConfig", io.millrace.core.config.StreamConfig.SYSTEM_DEFAULT)
        .answer("reconfigureStream", io.millrace.core.config.StreamConfig.SYSTEM_DEFAULT)
        .answer("deleteStream", null)
        .answer("append", new AppendOutcome.Appended(ACK))
        .answer(
            "read",
            new io.millrace.core.api.ReadOutcome.Batch(
                new io.millrace.core.record.ReadBatch(List.of(), null)))
        .answer("checkTail", new StreamPosition(0, 0));
    List<String> paths =
        List.of(
            "/v1/basins",
            "/v1/basins/my-basin-1",
            "/v1/streams",
            "/v1/streams/s",
            "/v1/streams/s/records",
            "/v1/streams/s/records?seq_num=x&count=-4",
            "/v1/streams/s/records/tail");
    List<byte[]> bodies =
        List.of(
            new byte[0],
            "{".getBytes(),
            "[]".getBytes(),
            "null".getBytes(),
            "\"str\"".getBytes(),
            "{\"records\":[{\"body\":{}}]}".getBytes(),
            "{\"config\":{\"retention_policy\":{\"age\":\"x\"}}}".getBytes(),
            new byte[] {(byte) 0xff, 0, 1, (byte) 0x80, 0x0a, 0x05},
            new byte[] {0x0a, 0x02, 0x1a, (byte) 0xff});
    List<String> types =
        List.of("application/json", "application/protobuf", "text/plain", "application/x-protobuf");
    int requests = 0;
    for (String path : paths) {
      for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE")) {
        for (byte[] body : bodies) {
          for (String type : types) {
            HttpResponse<byte[]> r =
                send(
                    method,
                    path,
                    body,
                    "Content-Type",
                    type,
                    "Accept",
                    type,
                    "s2-basin",
                    "my-basin-1",
                    "s2-format",
                    "base64");
            requests++;
            String what = method + " " + path + " " + type + " " + new String(body);
            assertThat(r.statusCode()).as(what).isBetween(200, 499);
            if (r.statusCode() >= 400) {
              assertThat(contentType(r)).as(what).isEqualTo("application/json");
              assertThat(json(r).has("code")).as(what).isTrue();
            }
          }
        }
      }
    }
    assertThat(requests).isEqualTo(paths.size() * 5 * bodies.size() * types.size());
  }
}
