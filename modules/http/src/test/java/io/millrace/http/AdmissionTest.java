package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 items 1 and 2: the bytes of request bodies buffered across all connections are bounded
 * (503 unavailable with retry-after-ms beyond), connections that never finish a request head or sit
 * idle without a request are closed, and one IP cannot hold more than its share of connections.
 */
class AdmissionTest {
  private static final int BODY = 60_000;
  private static TestEdge edge;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    StubServices stubs = new StubServices();
    edge =
        TestEdge.start(
            "admission-test",
            "millrace.http.max-request-body-bytes = 64k\n"
                + "millrace.http.admission.body-budget = 100k\n"
                + "millrace.http.admission.retry-after = 250 ms\n"
                + "millrace.http.admission.header-timeout = 3 s\n"
                + "millrace.http.admission.idle-timeout-without-request = 3 s\n"
                // The idle timeout is raised to heartbeat-max + 10 s (here 11 s).
                + "millrace.http.sessions.heartbeat-min = 1 s\n"
                + "millrace.http.sessions.heartbeat-max = 1 s\n"
                + "millrace.http.admission.max-connections-per-ip = 8\n",
            stubs,
            stubs,
            () -> true);
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() throws Exception {
    edge.close();
  }

  private static Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", edge.port());
    s.setSoTimeout(30_000);
    return s;
  }

  /** Whether the server closes {@code s} (reads end) before the socket's read timeout. */
  private static boolean closedByServer(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      while (in.read() >= 0) {
        // a response to drain, then the close
      }
      return true;
    } catch (java.net.SocketException e) {
      return true; // reset
    } catch (java.net.SocketTimeoutException e) {
      return false;
    }
  }

  private static HttpResponse<String> postBody(int size) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/v1/nowhere"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[size]))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aBodyThatWouldTakeTheBufferedBytesPastTheBudgetIsRefusedWithRetryAfterUntilRoomIsFree()
      throws Exception {
    try (Socket holder = connect()) {
      // Most of a body, never the last byte: its declared length is held against the budget.
      OutputStream out = holder.getOutputStream();
      out.write(
          ("POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[BODY - 1]);
      out.flush();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> postBody(BODY).statusCode() == 503);
      HttpResponse<String> refused = postBody(BODY);
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("\"code\":\"unavailable\"");
      assertThat(refused.headers().firstValue("retry-after-ms")).hasValue("250");
      // A small body still fits next to the held one.
      assertThat(postBody(1000).statusCode()).isEqualTo(404);
    }
    // The holder is gone: its bytes are released and a large body is read again.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> postBody(BODY).statusCode() == 404);
  }

  @Test
  void aConnectionThatNeverCompletesItsRequestHeadIsClosed() throws Exception {
    try (Socket slow = connect()) {
      slow.getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      slow.getOutputStream().flush();
      assertThat(closedByServer(slow)).isTrue();
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosed() throws Exception {
    try (Socket silent = connect()) {
      assertThat(closedByServer(silent)).isTrue();
    }
  }

  @Test
  void aKeepAliveConnectionWithNoRequestInFlightIsClosedWhenIdle() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] head = new byte[12];
      int n = s.getInputStream().readNBytes(head, 0, 12);
      assertThat(new String(head, 0, n, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
      assertThat(closedByServer(s)).isTrue();
    }
  }

  @Test
  void oneIpCannotHoldMoreThanItsShareOfConnections() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        held.add(connect());
      }
      // Each of the 8 is admitted before the next is accepted; the 9th is over the share.
      Socket extra = connect();
      held.add(extra);
      extra.setSoTimeout(500);
      assertThat(closedByServer(extra)).isTrue();
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    // Once they are closed, the IP is served again.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                client
                        .send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + edge.port() + "/health"))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .statusCode()
                    == 200);
  }
}
