package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.AppendOutcome;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.StreamPosition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14 items 5 and 6: request framing that could smuggle requests behind a proxy, CORS answers
 * browsers reject, and names or bodies that would be stored lossily.
 */
class HardeningTest extends EdgeTestBase {
  private static final AppendAck ACK =
      new AppendAck(
          new StreamPosition(0, 10), new StreamPosition(1, 10), new StreamPosition(1, 10));

  /** A smuggled request that would reach a service if the first one's body were misframed. */
  private static final String SMUGGLED =
      "GET /v1/basins/smuggled-basin HTTP/1.1\r\nHost: x\r\n\r\n";

  // ------------------------------------------------------------------------------------------
  // Content-Length framing

  /** The start of a request for a basin's config, before its framing headers. */
  private static final String GET_BASIN = "GET /v1/basins/my-basin-1 HTTP/1.1\r\nHost: x\r\n";

  static Stream<Arguments> badContentLengths() {
    return Stream.of(
        // 2^64 + 1 wraps around to 1 in a 64-bit accumulator: "X" would be the body and the rest
        // a second request.
        Arguments.of(
            "above two to the sixty-four, not wrapped around",
            "Content-Length: 18446744073709551617\r\n\r\nX" + SMUGGLED),
        Arguments.of(
            "with inner whitespace, not concatenated", "Content-Length: 1 2\r\n\r\n0123456789ab"),
        Arguments.of("with a sign", "Content-Length: +5\r\n\r\n01234"),
        Arguments.of("differing duplicates", "Content-Length: 1\r\nContent-Length: 2\r\n\r\nXY"),
        // Two values that a wrapping parser would both read as 1.
        Arguments.of(
            "differing duplicates that wrap to the same value",
            "Content-Length: 1\r\nContent-Length: 18446744073709551617\r\n\r\nX" + SMUGGLED));
  }

  @ParameterizedTest(name = "Content-Length {0} is refused")
  @MethodSource("badContentLengths")
  void aBadContentLengthIsRefused(String description, String framingAndBody) throws Exception {
    stubs.answer("getBasinConfig", BasinConfig.DEFAULT);
    assertRefusedOnce(rawResponses(GET_BASIN + framingAndBody));
  }

  @Test
  void aBadContentLengthOnALaterKeepAliveRequestIsRefusedToo() throws Exception {
    stubs.answer("getBasinConfig", BasinConfig.DEFAULT);
    List<Raw> responses =
        rawResponses(
            GET_BASIN
                + "Content-Length: 3\r\n\r\nabc"
                + "POST /v1/basins/my-basin-1 HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + GET_BASIN
                + "Content-Length: 18446744073709551617\r\n\r\nX"
                + SMUGGLED);
    assertThat(responses).extracting(r -> r.status).containsExactly(200, 405, 400);
    assertThat(responses.get(2).body).contains("\"code\":\"bad_header\"");
    assertThat(stubs.invocations())
        .extracting(StubServices.Invocation::method)
        .containsExactly("getBasinConfig");
  }

  @Test
  void validContentLengthsStillWork() throws Exception {
    stubs.answer("getBasinConfig", BasinConfig.DEFAULT);
    List<Raw> responses =
        rawResponses(
            GET_BASIN
                + "Content-Length:  007 \r\n\r\n"
                + "abcdefg"
                + GET_BASIN
                + "Content-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab");
    assertThat(responses).extracting(r -> r.status).containsExactly(200, 200);
  }

  private static void assertRefusedOnce(List<Raw> responses) {
    assertThat(responses).extracting(r -> r.status).containsExactly(400);
    assertThat(responses.get(0).body).contains("\"code\":\"bad_header\"");
    assertThat(stubs.invocations()).isEmpty();
  }

  // ------------------------------------------------------------------------------------------
  // Expect: 100-continue

  @Test
  void expectContinueWithADeclaredBodyOverTheLimitGets413InsteadOf100() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", binding.localAddress().getPort())) {
      Raw first = sendExpectContinueHead(socket, "", TEST_MAX_BODY + 1);
      assertThat(first).isNotNull();
      assertThat(first.status).isEqualTo(413);
      assertThat(first.body).contains("\"code\":\"invalid\"");
    }
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void expectContinueWithinTheLimitStillGets100AndTheBodyIsRead() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    byte[] body = "{\"records\":[{\"body\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", binding.localAddress().getPort())) {
      Raw first = sendExpectContinueHead(socket, "Connection: close\r\n", body.length);
      assertThat(first.status).isEqualTo(100);
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      assertThat(readResponse(socket.getInputStream()).status).isEqualTo(200);
    }
  }

  /**
   * Sends the head of a JSON append that expects 100-continue, with {@code moreHeaders} (each
   * ending in CRLF) before its {@code Content-Length}; answers the first response.
   */
  private static Raw sendExpectContinueHead(Socket socket, String moreHeaders, long contentLength)
      throws IOException {
    socket.setSoTimeout(10_000);
    socket
        .getOutputStream()
        .write(
            ("POST /v1/streams/s/records HTTP/1.1\r\nHost: x\r\ns2-basin: my-basin-1\r\n"
                    + "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                    + moreHeaders
                    + "Content-Length: "
                    + contentLength
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return readResponse(socket.getInputStream());
  }

  // ------------------------------------------------------------------------------------------
  // CORS

  @Test
  void corsPreflightHeadersAppearOnceAndAllowAnyOriginWithoutCredentials() throws Exception {
    HttpResponse<byte[]> preflight =
        preflight("https://evil.example", "POST", "content-type, s2-basin");
    assertThat(preflight.statusCode()).isEqualTo(200);
    for (String name :
        List.of(
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
            "access-control-expose-headers")) {
      assertThat(preflight.headers().allValues(name)).as(name).hasSize(1);
    }
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains("*");
    assertThat(preflight.headers().firstValue("access-control-allow-credentials")).isEmpty();

    stubs.answer("getBasinConfig", BasinConfig.DEFAULT);
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1", "Origin", "https://evil.example");
    assertThat(r.headers().allValues("access-control-allow-origin")).containsExactly("*");
    assertThat(r.headers().firstValue("access-control-allow-credentials")).isEmpty();
    assertThat(r.headers().allValues("access-control-expose-headers")).hasSize(1);
  }

  // ------------------------------------------------------------------------------------------
  // Lossy names and bodies

  @Test
  void invalidUtf8InAPathSegmentIsBadPathNotAReplacementCharacter() throws Exception {
    stubs.answer("getStreamConfig", io.millrace.core.config.StreamConfig.SYSTEM_DEFAULT);
    stubs.answer("checkTail", new StreamPosition(0, 0));
    assertEachRefused(
        List.of(
            "/v1/streams/%FF",
            "/v1/streams/%FE",
            "/v1/streams/a%C3",
            "/v1/streams/%ED%A0%80",
            "/v1/streams/%C0%AF",
            "/v1/streams/%FF/records/tail",
            "/v1/basins/%FF"),
        path -> get(path, "s2-basin", "my-basin-1"),
        400,
        "bad_path");

    HttpResponse<byte[]> ok = get("/v1/streams/caf%C3%A9", "s2-basin", "my-basin-1");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(stubs.only("getStreamConfig").arg(1)).isEqualTo("café");
  }

  @Test
  void invalidUtf8InAPathIsBadPathOverHttp2Too() throws Exception {
    stubs.answer("getStreamConfig", io.millrace.core.config.StreamConfig.SYSTEM_DEFAULT);
    List<org.apache.pekko.japi.Pair<String, String>> answers =
        h2Exchange(
            List.of(
                org.apache.pekko.http.javadsl.model.HttpRequest.GET("/v1/streams/%FF")
                    .addHeader(
                        org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                            "s2-basin", "my-basin-1"))));
    assertThat(answers.get(0).first() + " " + answers.get(0).second())
        .startsWith("HTTP/2.0 400")
        .contains("\"code\":\"bad_path\"");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void loneSurrogatesInJsonNamesAreBadJson() throws Exception {
    HttpResponse<byte[]> r =
        sendJson("POST", "/v1/streams", "{\"stream\":\"a\\ud800\"}", "s2-basin", "my-basin-1");
    assertError(r, 400, "bad_json");
    HttpResponse<byte[]> low =
        sendJson("POST", "/v1/streams", "{\"stream\":\"\\udc00b\"}", "s2-basin", "my-basin-1");
    assertThat(low.statusCode()).isEqualTo(400);
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void loneSurrogatesInJsonRecordsAreBadJsonAndNotAppended() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    assertEachRefused(
        List.of(
            "{\"records\":[{\"body\":\"\\ud800\"}]}",
            "{\"records\":[{\"body\":\"ok\",\"headers\":[[\"\\udfff\",\"v\"]]}]}",
            "{\"records\":[{\"body\":\"ok\"}],\"fencing_token\":\"\\ud83d\"}",
            "{\"records\":[{\"body\":\"ok\"}],\"\\ud800\":1}"),
        body -> sendJson("POST", "/v1/streams/s/records", body, "s2-basin", "my-basin-1"),
        400,
        "bad_json");

    // A proper surrogate pair is a character like any other.
    HttpResponse<byte[]> pair =
        sendJson(
            "POST",
            "/v1/streams/s/records",
            "{\"records\":[{\"body\":\"\\ud83d\\ude00\"}]}",
            "s2-basin",
            "my-basin-1");
    assertThat(pair.statusCode()).isEqualTo(200);
  }

  @Test
  void malformedJsonErrorsDoNotCarryParserInternals() throws Exception {
    for (String body : List.of("{", "{\"records\":[", "{\"a\":}", "{\"a\":1}x", "\u00ff")) {
      HttpResponse<byte[]> r =
          sendJson("POST", "/v1/streams/s/records", body, "s2-basin", "my-basin-1");
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      String message = json(r).get("message").asText();
      assertThat(message)
          .as(body)
          .startsWith("malformed JSON")
          .doesNotContain("StreamReadFeature")
          .doesNotContain("Source:")
          .doesNotContain("REDACTED")
          .doesNotContain("com.fasterxml")
          .doesNotContain("jackson");
    }
  }

  @Test
  void serverErrorsDoNotCarryExceptionDetails() throws Exception {
    stubs.fail(
        "getBasinConfig",
        io.millrace.core.S2Exception.from(
            new java.nio.file.NoSuchFileException("/var/lib/millrace/secret/chunk-0001")));
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1");
    assertError(r, 500, "other");
    assertThat(json(r).get("message").asText())
        .doesNotContain("/var/lib")
        .doesNotContain("NoSuchFileException")
        .doesNotContain("java.");

    stubs.fail("getBasinConfig", new IllegalStateException("/var/lib/millrace/x broke"));
    HttpResponse<byte[]> s = get("/v1/basins/my-basin-1");
    assertThat(s.statusCode()).isEqualTo(500);
    assertThat(json(s).get("message").asText())
        .doesNotContain("/var/lib")
        .doesNotContain("IllegalStateException");
  }

  // ------------------------------------------------------------------------------------------
  // Raw HTTP/1.1

  /** One response read off a raw connection. */
  record Raw(int status, String head, String body) {}

  /** Writes the bytes, then reads responses until the server closes or goes quiet. */
  private static List<Raw> rawResponses(String request) throws IOException {
    List<Raw> out = new ArrayList<>();
    try (Socket socket = new Socket("127.0.0.1", binding.localAddress().getPort())) {
      socket.setSoTimeout(2_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      while (true) {
        Raw r;
        try {
          r = readResponse(in);
        } catch (SocketTimeoutException e) {
          break;
        }
        if (r == null) {
          break;
        }
        out.add(r);
      }
    }
    return out;
  }

  /** One response (status line, headers, Content-Length or chunked body); null at EOF. */
  private static Raw readResponse(InputStream in) throws IOException {
    String status = line(in);
    if (status == null) {
      return null;
    }
    StringBuilder head = new StringBuilder(status).append('\n');
    long length = 0;
    boolean chunked = false;
    for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
      head.append(l).append('\n');
      String lower = l.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(l.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      for (int size = Integer.parseInt(line(in).trim(), 16);
          size > 0;
          size = Integer.parseInt(line(in).trim(), 16)) {
        body.write(in.readNBytes(size));
        line(in);
      }
      line(in);
    } else {
      body.write(in.readNBytes((int) length));
    }
    return new Raw(
        Integer.parseInt(status.split(" ")[1]),
        head.toString(),
        body.toString(StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        b.write(c);
      }
    }
    if (c < 0 && b.size() == 0) {
      return null;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
