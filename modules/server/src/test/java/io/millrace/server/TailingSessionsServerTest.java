package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailing S2S and SSE read sessions against a running node (engine, tail feeds and edge together):
 * each reader is delivered every record exactly once and in order, while it is pushed records at
 * the tail, while it stops reading long enough to fall behind the feed's few recent records (it
 * catches up with reads of the entity), and after the node's feed went away meanwhile (no reader
 * waited in it for longer than its linger: the readers subscribe again at the tail).
 */
class TailingSessionsServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASIN = "tailing-basin";
  private static final String RECORDS = "/v1/streams/t/records";
  private static final String PAD = "x".repeat(1000);

  @TempDir Path dataDir;
  private final EmbeddedServer node = new EmbeddedServer();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<Reader> readers = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Reader r : readers) {
      r.close();
    }
    node.close();
  }

  private void start() {
    Map<String, Object> o = new HashMap<>();
    o.put("millrace.server.host", "127.0.0.1");
    o.put("millrace.server.port", 0);
    o.put("millrace.server.data-dir", dataDir.toString());
    o.put("millrace.server.auth.mode", "off");
    o.put("millrace.engine.tail-feeds.recent-records", 16);
    o.put("millrace.engine.tail-feeds.linger", "200ms");
    node.start(Main.config(o, null), new ByteArrayOutputStream());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(node.uri(path)).header("s2-basin", BASIN);
  }

  private void post(String path, String basin, String json) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(node.uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (basin != null) {
      b.header("s2-basin", basin);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }

  private static String body(long i) {
    return "r" + i + ";" + PAD;
  }

  /** Appends records {@code from} .. {@code from + n - 1} in one batch. */
  private void append(long from, int n) throws Exception {
    StringBuilder json = new StringBuilder("{\"records\":[");
    for (long i = from; i < from + n; i++) {
      json.append(i == from ? "" : ",").append("{\"body\":\"").append(body(i)).append("\"}");
    }
    post(RECORDS, BASIN, json.append("]}").toString());
  }

  /** A tailing read session from seq num 0 that records what it is delivered. */
  private abstract class Reader implements Runnable {
    final List<Long> seqs = new CopyOnWriteArrayList<>();
    final List<String> bodies = new CopyOnWriteArrayList<>();
    volatile boolean paused;
    volatile Throwable failure;
    private InputStream in;
    private final Thread thread = new Thread(this, "reader");

    void start(HttpRequest.Builder request) throws Exception {
      HttpResponse<InputStream> r =
          http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      in = r.body();
      readers.add(this);
      thread.setDaemon(true);
      thread.start();
    }

    abstract void readEvents(InputStream in) throws Exception;

    void delivered(long seq, String body) throws InterruptedException {
      seqs.add(seq);
      bodies.add(body);
      while (paused) {
        Thread.sleep(10);
      }
    }

    @Override
    public void run() {
      try {
        readEvents(in);
      } catch (Throwable t) {
        failure = t;
      }
    }

    void close() throws Exception {
      in.close();
    }
  }

  /** S2S frames: 3-byte length, 1 flag byte, a {@code ReadBatch} (no compression asked). */
  private final class S2sReader extends Reader {
    @Override
    void readEvents(InputStream raw) throws Exception {
      DataInputStream in = new DataInputStream(raw);
      while (true) {
        int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
        int flags = in.readUnsignedByte();
        byte[] payload = in.readNBytes(length - 1);
        assertThat(flags).as("S2S frame flags").isZero();
        for (s2.v1.SequencedRecord r : s2.v1.ReadBatch.parseFrom(payload).getRecordsList()) {
          delivered(r.getSeqNum(), r.getBody().toStringUtf8());
        }
      }
    }
  }

  /** SSE {@code batch} events; pings are skipped. */
  private final class SseReader extends Reader {
    @Override
    void readEvents(InputStream raw) throws Exception {
      BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
      String event = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ") && "batch".equals(event)) {
          for (JsonNode r : JSON.readTree(line.substring(6)).get("records")) {
            delivered(r.get("seq_num").asLong(), r.get("body").asText());
          }
        }
      }
    }
  }

  private static void awaitAll(Reader r, long n) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> r.failure != null || r.seqs.size() >= n);
    assertThat(r.failure).isNull();
  }

  @Test
  void tailingS2sAndSseReadersGetEveryRecordOnceInOrderAcrossFallBackAndResubscribe()
      throws Exception {
    start();
    post("/v1/basins", null, "{\"basin\":\"" + BASIN + "\"}");
    post("/v1/streams", BASIN, "{\"stream\":\"t\"}");
    S2sReader s2s = new S2sReader();
    s2s.start(request(RECORDS + "?seq_num=0").header("Content-Type", "s2s/proto"));
    SseReader sse = new SseReader();
    sse.start(request(RECORDS + "?seq_num=0").header("Accept", "text/event-stream"));

    long next = 0;
    // At the tail: pushed batches.
    for (int i = 0; i < 20; i++, next += 8) {
      append(next, 8);
    }
    awaitAll(s2s, next);
    awaitAll(sse, next);
    // Both stop reading while 8 MiB (far beyond the socket buffers and the feed's 16 recent
    // records) are appended, and for longer than the feed's linger: they fall behind, then catch
    // up with reads of the entity, and the feed is subscribed again once they reach the tail.
    s2s.paused = true;
    sse.paused = true;
    for (int i = 0; i < 32; i++, next += 256) {
      append(next, 256);
    }
    Thread.sleep(1000);
    s2s.paused = false;
    sse.paused = false;
    awaitAll(s2s, next);
    awaitAll(sse, next);
    for (int i = 0; i < 20; i++, next += 8) {
      append(next, 8);
    }
    awaitAll(s2s, next);
    awaitAll(sse, next);
    List<Long> expected = LongStream.range(0, next).boxed().toList();
    for (Reader r : List.of(s2s, sse)) {
      assertThat(r.seqs).isEqualTo(expected);
      assertThat(r.bodies)
          .isEqualTo(expected.stream().map(TailingSessionsServerTest::body).toList());
    }
  }
}
