package io.millrace.http;

import static io.millrace.http.SessionsTest.MAPPER;
import static io.millrace.http.SessionsTest.frame;
import static io.millrace.http.SessionsTest.input;
import static io.millrace.http.SessionsTest.terminal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code s2-encryption-key} header on every records request (spec sections 2.6 and 8.1), over
 * an in-memory record service that answers like the engine for an encrypted stream: a malformed key
 * is refused by the edge (400 {@code bad_header}) before anything else, a missing one by the
 * service (400 {@code bad_header}, a plain error response even for read sessions), and a wrong one
 * on read with 400 {@code decryption_failed} (an SSE {@code error} event or an S2S terminal frame
 * once a session has started).
 */
class EncryptionKeyHeaderTest {
  private static final String BASIN = "enc-basin";
  private static final String RECORDS = "/v1/streams/logs%2Fapp/records";
  private static final String HEADER = "s2-encryption-key";
  private static final byte[] KEY = new byte[32];
  private static final String KEY_B64;
  private static final String OTHER_KEY_B64;

  static {
    for (int i = 0; i < 32; i++) {
      KEY[i] = (byte) (i * 3 + 1);
    }
    KEY_B64 = Base64.getEncoder().encodeToString(KEY);
    byte[] other = KEY.clone();
    other[0] ^= 1;
    OTHER_KEY_B64 = Base64.getEncoder().encodeToString(other);
  }

  private static final MemoryRecords records = new MemoryRecords();
  private static TestEdge edge;
  private static int port;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    edge = TestEdge.start("encryption-header-test", "", new StubServices(), records, () -> true);
    port = edge.port();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws Exception {
    edge.close();
    records.close();
  }

  @BeforeEach
  void reset() {
    records.reset();
  }

  private static void appendOneEncrypted() {
    records.encrypt();
    appendWith(KEY);
  }

  private static void appendWith(byte[] key) {
    records
        .append(
            BASIN,
            MemoryRecords.STREAM,
            new AppendInput(
                List.of(AppendRecord.of("a".getBytes(StandardCharsets.UTF_8))), null, null),
            EncryptionKey.of(key))
        .toCompletableFuture()
        .join();
  }

  private static HttpResponse<String> send(
      String method, String query, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + RECORDS + query))
            .timeout(Duration.ofSeconds(20))
            .header("s2-basin", BASIN)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> unaryAppend(String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/json";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return send("POST", "", "{\"records\":[{\"body\":\"x\"}]}", all);
  }

  private static JsonNode error(HttpResponse<String> r, int status, String code) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode body = MAPPER.readTree(r.body());
    assertThat(body.get("code").asText()).isEqualTo(code);
    return body;
  }

  @Test
  void malformedKeysAreRefusedWithBadHeaderWithoutEchoingThem() throws Exception {
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
    for (String bad : List.of("not*base64*at*all", shortKey, "")) {
      List<HttpResponse<String>> answers =
          List.of(
              unaryAppend(HEADER, bad),
              send("GET", "?seq_num=0", null, HEADER, bad),
              send("GET", "?seq_num=0", null, HEADER, bad, "Accept", "text/event-stream"),
              send("GET", "?seq_num=0", null, HEADER, bad, "Content-Type", "s2s/proto"));
      for (HttpResponse<String> r : answers) {
        JsonNode body = error(r, 400, "bad_header");
        assertThat(body.get("message").asText()).contains(HEADER);
        if (!bad.isEmpty()) {
          assertThat(r.body()).doesNotContain(bad);
        }
      }
    }
    assertThat(records.records()).isEmpty();
  }

  @Test
  void anEncryptedStreamRefusesRequestsWithoutTheKeyBeforeAnySessionStarts() throws Exception {
    appendOneEncrypted();

    error(unaryAppend(), 400, "bad_header");
    error(send("GET", "?seq_num=0", null), 400, "bad_header");
    error(send("GET", "?seq_num=0", null, "Accept", "text/event-stream"), 400, "bad_header");
    error(send("GET", "?seq_num=0", null, "Content-Type", "s2s/proto"), 400, "bad_header");
    try (RawHttp1 c = new RawHttp1(port)) {
      c.startChunked("POST", RECORDS, "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.chunk(frame(input(null, "x")));
      c.readHead();
      assertThat(terminal(c.readFrame(), 400).get("code").asText()).isEqualTo("bad_header");
    }
    assertThat(records.records()).hasSize(1);
  }

  @Test
  void theKeyReachesTheServiceOnUnaryCallsAndSessions() throws Exception {
    appendOneEncrypted();

    assertThat(unaryAppend(HEADER, KEY_B64).statusCode()).isEqualTo(200);
    HttpResponse<String> read = send("GET", "?seq_num=0", null, HEADER, KEY_B64);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(read.body()).get("records")).hasSize(2);
    try (RawHttp1 c = new RawHttp1(port)) {
      c.startChunked(
          "POST", RECORDS, "Content-Type", "s2s/proto", "s2-basin", BASIN, HEADER, KEY_B64);
      c.chunk(frame(input(null, "y")));
      c.readHead();
      assertThat(c.status).isEqualTo(200);
      assertThat(SessionsTest.ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(3);
    }
    HttpResponse<String> sse =
        send("GET", "?seq_num=0&count=3", null, HEADER, KEY_B64, "Accept", "text/event-stream");
    assertThat(sse.statusCode()).isEqualTo(200);
    assertThat(sse.body()).contains("event: batch").contains("data: [DONE]");
  }

  @Test
  void aWrongKeyOnReadIsDecryptionFailedBeforeASessionStarts() throws Exception {
    appendOneEncrypted();

    error(send("GET", "?seq_num=0", null, HEADER, OTHER_KEY_B64), 400, "decryption_failed");
    error(
        send("GET", "?seq_num=0", null, HEADER, OTHER_KEY_B64, "Accept", "text/event-stream"),
        400,
        "decryption_failed");
    error(
        send("GET", "?seq_num=0", null, HEADER, OTHER_KEY_B64, "Content-Type", "s2s/proto"),
        400,
        "decryption_failed");
  }

  @Test
  void aRecordThatDoesNotOpenMidSessionIsTheSessionsTerminalError() throws Exception {
    appendOneEncrypted();
    byte[] other = KEY.clone();
    other[5] ^= 1;
    appendWith(other);

    HttpResponse<String> sse =
        send("GET", "?seq_num=0", null, HEADER, KEY_B64, "Accept", "text/event-stream");
    assertThat(sse.statusCode()).isEqualTo(200);
    List<String> lines = List.of(sse.body().split("\n", -1));
    assertThat(lines.get(0)).isEqualTo("event: error");
    assertThat(MAPPER.readTree(lines.get(1).substring("data: ".length())).get("code").asText())
        .isEqualTo("decryption_failed");
    assertThat(lines).doesNotContain("data: [DONE]");
    try (RawHttp1 c = new RawHttp1(port)) {
      c.get(
          RECORDS + "?seq_num=0", "Content-Type", "s2s/proto", "s2-basin", BASIN, HEADER, KEY_B64);
      c.readHead();
      assertThat(c.status).isEqualTo(200);
      assertThat(terminal(c.readFrame(), 400).get("code").asText()).isEqualTo("decryption_failed");
      assertThat(c.bodyEnded()).isTrue();
    }
  }
}
