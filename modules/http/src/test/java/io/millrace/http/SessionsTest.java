package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.millrace.core.record.SequencedRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * S2S and SSE sessions through the real edge over an in-memory record service: append sessions full
 * duplex over HTTP/1.1 chunked bodies, their failure rules, read sessions from catch-up to live
 * with heartbeats, and SSE events with resumption.
 */
class SessionsTest {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String BASIN = "session-basin";
  static final String RECORDS = "/v1/streams/logs%2Fapp/records";
  static final MemoryRecords records = new MemoryRecords();
  static final StubServices control = new StubServices();

  static TestEdge edge;
  static ActorSystem<Void> system;
  static int port;
  static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    edge =
        TestEdge.start(
            "sessions-test",
            "millrace.http.sessions.heartbeat-min = 1s\n"
                + "millrace.http.sessions.heartbeat-max = 1s\n"
                // Sessions outlive the request timeout, which only bounds the time to
                // the response head.
                + "millrace.http.request-timeout = 2s",
            control,
            records,
            () -> true);
    system = edge.system;
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

  // ------------------------------------------------------------------ helpers

  /** Appends one record, then makes every read fail with a {@code storage} error. */
  static void appendOneThenFailReadsWithDiskOnFire() throws Exception {
    appendNow("a");
    records.failReads(
        new io.millrace.core.S2Exception(io.millrace.core.ErrorCode.STORAGE, "disk on fire"));
  }

  static byte[] input(Long matchSeqNum, String... bodies) {
    s2.v1.AppendInput.Builder b = s2.v1.AppendInput.newBuilder();
    for (String body : bodies) {
      b.addRecords(s2.v1.AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body)));
    }
    if (matchSeqNum != null) {
      b.setMatchSeqNum(matchSeqNum);
    }
    return b.build().toByteArray();
  }

  static byte[] frame(byte[] payload) {
    return S2sFrames.encode(payload, S2sFrames.Compression.NONE).toArray();
  }

  static int flags(byte[] frame) {
    return frame[3] & 0xFF;
  }

  static s2.v1.AppendAck ack(byte[] frame) throws Exception {
    assertThat(flags(frame)).as("a regular frame").isZero();
    return s2.v1.AppendAck.parseFrom(java.util.Arrays.copyOfRange(frame, 4, frame.length));
  }

  /** Status and JSON body of a terminal frame. */
  static JsonNode terminal(byte[] frame, int status) throws Exception {
    assertThat(flags(frame)).as("a terminal frame").isEqualTo(0x80);
    assertThat(((frame[4] & 0xFF) << 8) | (frame[5] & 0xFF)).isEqualTo(status);
    return MAPPER.readTree(java.util.Arrays.copyOfRange(frame, 6, frame.length));
  }

  static RawHttp1 appendSession(String... extraHeaders) throws Exception {
    RawHttp1 c = new RawHttp1(port);
    List<String> h = new ArrayList<>(List.of("Content-Type", "s2s/proto", "s2-basin", BASIN));
    h.addAll(List.of(extraHeaders));
    c.startChunked("POST", RECORDS, h.toArray(String[]::new));
    return c;
  }

  static List<String> bodies() {
    return records.records().stream()
        .map(r -> new String(r.body(), StandardCharsets.UTF_8))
        .toList();
  }

  // ------------------------------------------------------------------ append sessions

  @Test
  void anAppendSessionRunsFullDuplexOverHttp1ChunkedBodies() throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(frame(input(null, "a", "b")));
      c.readHead();
      assertThat(c.status).isEqualTo(200);
      assertThat(c.headers.get("content-type")).isEqualTo("s2s/proto");
      // The ack of the first batch arrives while the request body is still open.
      s2.v1.AppendAck first = ack(c.readFrame());
      assertThat(first.getStart().getSeqNum()).isZero();
      assertThat(first.getEnd().getSeqNum()).isEqualTo(2);
      c.chunk(frame(input(2L, "c")));
      s2.v1.AppendAck second = ack(c.readFrame());
      assertThat(second.getStart().getSeqNum()).isEqualTo(2);
      assertThat(second.getEnd().getSeqNum()).isEqualTo(3);
      c.endBody();
      assertThat(c.bodyEnded()).as("the response ends after the client half-closes").isTrue();
    }
    assertThat(bodies()).containsExactly("a", "b", "c");
  }

  @Test
  void anAppendSessionLastsLongerThanTheRequestTimeout() throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(frame(input(null, "early")));
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1);
      // The session outlives the edge's request-timeout (2 s) and Pekko's backstop (7 s): during
      // that window and a second past it, the server sends nothing and keeps the connection.
      Duration pastBothTimeouts =
          EdgeSettings.fromConfig(system.settings().config())
              .requestTimeout()
              .plus(S2HttpServer.PEKKO_REQUEST_TIMEOUT_MARGIN)
              .plusSeconds(1);
      Awaitility.await()
          .during(pastBothTimeouts)
          .atMost(pastBothTimeouts.plusSeconds(5))
          .until(c::nothingMoreReceived);
      c.chunk(frame(input(null, "late")));
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(2);
      c.endBody();
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).containsExactly("early", "late");
  }

  @Test
  void pipelinedBatchesAreAckedInOrderWithFramesSplitAcrossChunks() throws Exception {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 20; i++) {
      all.write(frame(input(null, "r" + i)));
    }
    byte[] bytes = all.toByteArray();
    try (RawHttp1 c = appendSession()) {
      for (int pos = 0; pos < bytes.length; pos += 7) {
        c.chunk(java.util.Arrays.copyOfRange(bytes, pos, Math.min(bytes.length, pos + 7)));
      }
      c.endBody();
      c.readHead();
      for (int i = 0; i < 20; i++) {
        s2.v1.AppendAck a = ack(c.readFrame());
        assertThat(a.getStart().getSeqNum()).isEqualTo(i);
        assertThat(a.getEnd().getSeqNum()).isEqualTo(i + 1);
      }
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).hasSize(20).startsWith("r0", "r1").endsWith("r19");
  }

  @Test
  void aFailedConditionEndsTheSessionAfterEarlierAcksAndNothingAfterItIsAppended()
      throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(frame(input(0L, "first")));
      c.chunk(frame(input(7L, "mismatch")));
      c.chunk(frame(input(null, "after")));
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1);
      JsonNode body = terminal(c.readFrame(), 412);
      assertThat(body.get("seq_num_mismatch").asLong()).isEqualTo(1);
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).containsExactly("first");
  }

  @Test
  void aMalformedFrameEndsTheSessionWithBadFrameAfterEarlierAcks() throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(frame(input(null, "good")));
      c.chunk(new byte[] {0, 0, 0, 0});
      c.chunk(frame(input(null, "never")));
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1);
      assertThat(terminal(c.readFrame(), 400).get("code").asText()).isEqualTo("bad_frame");
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).containsExactly("good");
  }

  @Test
  void aBatchNearTheOneMebibyteLimitTravelsInOneFrame() throws Exception {
    String[] bodies = new String[1000];
    java.util.Arrays.fill(bodies, "q".repeat(1000));
    byte[] f = frame(input(null, bodies));
    assertThat(f.length).isGreaterThan(1_000_000);
    try (RawHttp1 c = appendSession()) {
      for (int pos = 0; pos < f.length; pos += 65_536) {
        c.chunk(java.util.Arrays.copyOfRange(f, pos, Math.min(f.length, pos + 65_536)));
      }
      c.endBody();
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1000);
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).hasSize(1000);
  }

  static Stream<Arguments> refusedFirstFrames() {
    return Stream.of(
        Arguments.of(
            Named.of(
                "a terminal frame from the client",
                new byte[] {0, 0, 3, (byte) 0x80, 1, (byte) 0x90}),
            400,
            "bad_frame"),
        Arguments.of(
            Named.of(
                "a compression the server did not offer",
                S2sFrames.encode(input(null, "x".repeat(4000)), S2sFrames.Compression.ZSTD)
                    .toArray()),
            400,
            "bad_frame"),
        Arguments.of(
            Named.of("an invalid batch (no records)", frame(input(null))), 422, "invalid"));
  }

  @ParameterizedTest(name = "{0} is {2}")
  @MethodSource("refusedFirstFrames")
  void aRefusedFirstFrameEndsTheSessionWithATerminalAndAppendsNothing(
      byte[] first, int status, String code) throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(first);
      c.readHead();
      assertThat(terminal(c.readFrame(), status).get("code").asText()).isEqualTo(code);
    }
    assertThat(bodies()).isEmpty();
  }

  static Stream<Arguments> refusedFramesAfterAnAck() {
    return Stream.of(
        Arguments.of(
            Named.of("a frame longer than two mebibytes", new byte[] {0x20, 0, 1, 0}), // 2 MiB + 1
            400,
            "bad_frame"),
        Arguments.of(
            Named.of(
                "an unparsable protobuf",
                frame(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF})),
            400,
            "bad_proto"));
  }

  @ParameterizedTest(name = "{0} after an acked batch is {2}")
  @MethodSource("refusedFramesAfterAnAck")
  void aRefusedFrameAfterAnAckedBatchEndsTheSessionWithATerminal(
      byte[] refused, int status, String code) throws Exception {
    try (RawHttp1 c = appendSession()) {
      c.chunk(frame(input(null, "before")));
      c.chunk(refused);
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1);
      assertThat(terminal(c.readFrame(), status).get("code").asText()).isEqualTo(code);
    }
    assertThat(bodies()).containsExactly("before");
  }

  @Test
  void compressedFramesAreAcceptedWhenTheClientAcceptsThatEncoding() throws Exception {
    byte[] payload = input(null, "y".repeat(4000));
    try (RawHttp1 c = appendSession("Accept-Encoding", "zstd")) {
      c.chunk(S2sFrames.encode(payload, S2sFrames.Compression.ZSTD).toArray());
      c.endBody();
      c.readHead();
      assertThat(ack(c.readFrame()).getEnd().getSeqNum()).isEqualTo(1);
      assertThat(c.bodyEnded()).isTrue();
    }
    assertThat(bodies()).containsExactly("y".repeat(4000));
  }

  @Test
  void aBodyEndingInsideAFrameIsABadFrame() throws Exception {
    byte[] f = frame(input(null, "cut"));
    try (RawHttp1 c = appendSession()) {
      c.chunk(java.util.Arrays.copyOf(f, f.length - 2));
      c.endBody();
      c.readHead();
      assertThat(terminal(c.readFrame(), 400).get("code").asText()).isEqualTo("bad_frame");
    }
    assertThat(bodies()).isEmpty();
  }

  @Test
  void aMissingStreamEndsTheAppendSessionWithATerminal404() throws Exception {
    try (RawHttp1 c = new RawHttp1(port)) {
      c.startChunked(
          "POST", "/v1/streams/other/records", "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.chunk(frame(input(null, "x")));
      c.readHead();
      assertThat(terminal(c.readFrame(), 404).get("code").asText()).isEqualTo("stream_not_found");
    }
  }

  @Test
  void anAppendSessionRunsFullDuplexOverCleartextHttp2() throws Exception {
    ActorSystem<Void> clientSystem = ActorSystem.create(Behaviors.empty(), "h2-session-client");
    try {
      var flow =
          org.apache.pekko.http.javadsl.Http.get(clientSystem)
              .connectionTo("127.0.0.1")
              .toPort(port)
              .http2WithPriorKnowledge();
      var body =
          org.apache.pekko.stream.javadsl.Source.<org.apache.pekko.util.ByteString>queue(
                  8, org.apache.pekko.stream.OverflowStrategy.backpressure())
              .preMaterialize(clientSystem);
      var request =
          org.apache.pekko.http.javadsl.model.HttpRequest.POST(RECORDS)
              .addHeader(
                  org.apache.pekko.http.javadsl.model.headers.RawHeader.create("s2-basin", BASIN))
              .withEntity(
                  org.apache.pekko.http.javadsl.model.HttpEntities.createChunked(
                      StreamingSessions.S2S, body.second()));
      var response =
          org.apache.pekko.stream.javadsl.Source.single(request)
              .concat(org.apache.pekko.stream.javadsl.Source.never())
              .via(flow)
              .runWith(org.apache.pekko.stream.javadsl.Sink.head(), clientSystem);
      body.first().offer(org.apache.pekko.util.ByteString.fromArray(frame(input(null, "h2-a"))));
      var r = response.toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(r.protocol().value()).isEqualTo("HTTP/2.0");
      assertThat(r.status().intValue()).isEqualTo(200);
      var acks =
          r.entity()
              .getDataBytes()
              .runWith(org.apache.pekko.stream.javadsl.Sink.queue(), clientSystem);
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      // The first ack arrives while the request body is still open.
      while (got.size() < 4 || got.size() < 3 + lengthOf(got.toByteArray())) {
        got.write(acks.pull().toCompletableFuture().get(20, TimeUnit.SECONDS).get().toArray());
      }
      assertThat(ack(got.toByteArray()).getEnd().getSeqNum()).isEqualTo(1);
      body.first().offer(org.apache.pekko.util.ByteString.fromArray(frame(input(1L, "h2-b"))));
      body.first().complete();
      java.io.ByteArrayOutputStream rest = new java.io.ByteArrayOutputStream();
      for (; ; ) {
        var next = acks.pull().toCompletableFuture().get(20, TimeUnit.SECONDS);
        if (next.isEmpty()) {
          break;
        }
        rest.write(next.get().toArray());
      }
      assertThat(ack(rest.toByteArray()).getEnd().getSeqNum()).isEqualTo(2);
    } finally {
      clientSystem.terminate();
    }
    assertThat(bodies()).containsExactly("h2-a", "h2-b");
  }

  static int lengthOf(byte[] f) {
    return ((f[0] & 0xFF) << 16) | ((f[1] & 0xFF) << 8) | (f[2] & 0xFF);
  }

  // ------------------------------------------------------------------ S2S read sessions

  static s2.v1.ReadBatch batch(byte[] frame) throws Exception {
    assertThat(flags(frame)).as("a regular frame").isZero();
    return s2.v1.ReadBatch.parseFrom(java.util.Arrays.copyOfRange(frame, 4, frame.length));
  }

  static void appendNow(String... bodies) {
    List<io.millrace.core.record.AppendRecord> rs = new ArrayList<>();
    for (String b : bodies) {
      rs.add(io.millrace.core.record.AppendRecord.of(b.getBytes(StandardCharsets.UTF_8)));
    }
    records
        .append(
            BASIN, MemoryRecords.STREAM, new io.millrace.core.record.AppendInput(rs, null, null))
        .toCompletableFuture()
        .join();
  }

  @Test
  void aReadSessionCatchesUpThenFollowsLiveWithTheTailAndHeartbeatsWhileIdle() throws Exception {
    appendNow("a", "b", "c");
    try (RawHttp1 c = new RawHttp1(port)) {
      c.get(RECORDS + "?seq_num=1", "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.readHead();
      assertThat(c.status).isEqualTo(200);
      assertThat(c.headers.get("content-type")).isEqualTo("s2s/proto");
      s2.v1.ReadBatch catchUp = batch(c.readFrame());
      assertThat(catchUp.getRecordsList())
          .extracting(r -> r.getBody().toStringUtf8())
          .containsExactly("b", "c");
      assertThat(catchUp.hasTail()).as("catch-up batches carry no tail").isFalse();
      s2.v1.ReadBatch switched = batch(c.readFrame());
      assertThat(switched.getRecordsCount()).isZero();
      assertThat(switched.getTail().getSeqNum()).isEqualTo(3);
      s2.v1.ReadBatch idle = batch(c.readFrame());
      assertThat(idle.getRecordsCount()).as("a heartbeat while idle").isZero();
      assertThat(idle.getTail().getSeqNum()).isEqualTo(3);
      appendNow("d");
      s2.v1.ReadBatch live = batch(c.readFrame());
      while (live.getRecordsCount() == 0) {
        live = batch(c.readFrame());
      }
      assertThat(live.getRecords(0).getSeqNum()).isEqualTo(3);
      assertThat(live.getRecords(0).getBody().toStringUtf8()).isEqualTo("d");
      assertThat(live.getTail().getSeqNum()).as("live batches carry the tail").isEqualTo(4);
    }
  }

  @Test
  void aReadSessionEndsCleanlyWhenItsCountIsReachedAcrossBatches() throws Exception {
    appendNow("a", "b");
    try (RawHttp1 c = new RawHttp1(port)) {
      c.get(RECORDS + "?seq_num=0&count=3&wait=30", "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.readHead();
      List<String> got = new ArrayList<>();
      while (got.size() < 2) {
        batch(c.readFrame()).getRecordsList().forEach(r -> got.add(r.getBody().toStringUtf8()));
      }
      appendNow("c", "d");
      while (got.size() < 3) {
        s2.v1.ReadBatch b = batch(c.readFrame());
        b.getRecordsList().forEach(r -> got.add(r.getBody().toStringUtf8()));
      }
      assertThat(got).containsExactly("a", "b", "c");
      assertThat(c.bodyEnded()).as("no terminal frame on a normal end").isTrue();
    }
  }

  @Test
  void aReadSessionBeyondTheTailIsAPlain416() throws Exception {
    appendNow("a");
    HttpResponse<byte[]> r =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + RECORDS + "?seq_num=5"))
                .header("Content-Type", "s2s/proto")
                .header("s2-basin", BASIN)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(MAPPER.readTree(r.body()).get("tail").get("seq_num").asLong()).isEqualTo(1);
  }

  @Test
  void aReadSessionEndsCleanlyWhenTheStreamIsDeleted() throws Exception {
    appendNow("a");
    try (RawHttp1 c = new RawHttp1(port)) {
      c.get(RECORDS + "?seq_num=1", "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.readHead();
      assertThat(batch(c.readFrame()).getTail().getSeqNum()).isEqualTo(1);
      records.delete();
      // Heartbeats may still be on their way; then the body ends without a terminal frame.
      for (; ; ) {
        if (c.bodyEnded()) {
          break;
        }
        assertThat(batch(c.readFrame()).getRecordsCount()).isZero();
      }
    }
  }

  @Test
  void aReaderThatDisappearsReleasesItsLongPollWithinAHeartbeat() throws Exception {
    appendNow("a");
    RawHttp1 c = new RawHttp1(port);
    c.get(RECORDS + "?seq_num=1", "Content-Type", "s2s/proto", "s2-basin", BASIN);
    c.readHead();
    batch(c.readFrame());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> records.waiting() > 0);
    assertThat(records.waiting()).as("the session long-polls at the tail").isEqualTo(1);
    long longPolls = records.longPollsStarted();
    c.close();
    // The long-poll of the gone reader ends when it times out (within a heartbeat) ...
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> records.waiting() == 0);
    // ... and no new one starts: watched for two and a half heartbeat periods (the longest wait
    // of a long-poll), so that a long-poll started by the session would be seen.
    Duration heartbeat = SessionSettings.fromConfig(system.settings().config()).heartbeatMax();
    Duration window = heartbeat.multipliedBy(5).dividedBy(2);
    Awaitility.await()
        .during(window)
        .atMost(window.plusSeconds(5))
        .until(() -> records.longPollsStarted() == longPolls && records.waiting() == 0);
    assertThat(records.waiting()).as("no long-poll is left for the gone reader").isZero();
  }

  // ------------------------------------------------------------------ SSE

  static List<String> sseLines(String query, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + RECORDS + query))
            .timeout(Duration.ofSeconds(20))
            .header("Accept", "text/event-stream")
            .header("s2-basin", BASIN);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
    return List.of(r.body().split("\n", -1));
  }

  @Test
  void sseBatchesCarryCumulativeIdsAndTheSessionEndsWithDone() throws Exception {
    appendNow("a", "bb", "ccc");
    List<String> lines = sseLines("?seq_num=0&count=3");
    assertThat(lines.get(0)).isEqualTo("event: batch");
    // metered size = 8 + body length
    assertThat(lines.get(1)).isEqualTo("id: 2,3," + (9 + 10 + 11));
    JsonNode batch = MAPPER.readTree(lines.get(2).substring("data: ".length()));
    assertThat(batch.get("records").get(2).get("body").asText()).isEqualTo("ccc");
    assertThat(lines).contains("data: [DONE]");
    assertThat(String.join("\n", lines)).endsWith("data: [DONE]\n\n");
  }

  @Test
  void sseHonoursBase64AndResumesFromLastEventId() throws Exception {
    appendNow("a", "b", "c", "d");
    List<String> lines =
        sseLines("?seq_num=0&count=3", "s2-format", "base64", "Last-Event-ID", "1,2,18");
    assertThat(lines.get(1)).isEqualTo("id: 2,3,27");
    JsonNode batch = MAPPER.readTree(lines.get(2).substring("data: ".length()));
    assertThat(batch.get("records")).hasSize(1);
    assertThat(batch.get("records").get(0).get("seq_num").asLong()).isEqualTo(2);
    assertThat(batch.get("records").get(0).get("body").asText()).isEqualTo("Yw==");
  }

  @Test
  void untilAndByteLimitsApplyToTheWholeSession() throws Exception {
    appendNow("a", "b", "c", "d", "e"); // timestamps 0, 10, 20, 30, 40
    List<String> untilLines = sseLines("?seq_num=0&until=25");
    List<String> bodies = new ArrayList<>();
    for (String l : untilLines) {
      if (l.startsWith("data: {")) {
        MAPPER
            .readTree(l.substring(6))
            .get("records")
            .forEach(r -> bodies.add(r.get("body").asText()));
      }
    }
    assertThat(bodies).containsExactly("a", "b", "c");
    assertThat(untilLines).contains("data: [DONE]");
    // 9 metered bytes per record: 20 bytes hold two records.
    List<String> byteLines = sseLines("?seq_num=0&bytes=20");
    assertThat(byteLines).contains("id: 1,2,18").contains("data: [DONE]");
    assertThat(String.join("\n", byteLines)).doesNotContain("\"seq_num\":2");
  }

  @Test
  void ssePingsCarryTheTailAndWaitBoundsTheIdleGap() throws Exception {
    appendNow("a");
    List<String> lines = sseLines("?seq_num=1&wait=2");
    int ping = lines.indexOf("event: ping");
    assertThat(ping).isGreaterThanOrEqualTo(0);
    JsonNode data = MAPPER.readTree(lines.get(ping + 1).substring("data: ".length()));
    assertThat(data.get("tail").get("seq_num").asLong()).isEqualTo(1);
    assertThat(data.get("timestamp").asLong()).isPositive();
    assertThat(lines).contains("data: [DONE]");
  }

  @Test
  void aFailureMidSessionIsAnErrorEventWithoutDone() throws Exception {
    appendOneThenFailReadsWithDiskOnFire();
    List<String> lines = sseLines("?seq_num=0");
    assertThat(lines.get(0)).isEqualTo("event: error");
    JsonNode error = MAPPER.readTree(lines.get(1).substring("data: ".length()));
    assertThat(error.get("code").asText()).isEqualTo("storage");
    assertThat(error.get("message").asText()).isEqualTo("disk on fire");
    assertThat(lines).doesNotContain("data: [DONE]");
  }

  @Test
  void aFailureMidSessionIsATerminalFrameInS2s() throws Exception {
    appendOneThenFailReadsWithDiskOnFire();
    try (RawHttp1 c = new RawHttp1(port)) {
      c.get(RECORDS + "?seq_num=0", "Content-Type", "s2s/proto", "s2-basin", BASIN);
      c.readHead();
      assertThat(c.status).isEqualTo(200);
      assertThat(terminal(c.readFrame(), 500).get("code").asText()).isEqualTo("storage");
      assertThat(c.bodyEnded()).isTrue();
    }
  }

  @Test
  void sseErrorsBeforeTheSessionStartsArePlainJsonResponses() throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/streams/nope/records?seq_num=0"))
                .header("Accept", "text/event-stream")
                .header("s2-basin", BASIN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(MAPPER.readTree(r.body()).get("code").asText()).isEqualTo("stream_not_found");
  }

  @SuppressWarnings("unused")
  private static SequencedRecord unused() {
    return null;
  }
}
