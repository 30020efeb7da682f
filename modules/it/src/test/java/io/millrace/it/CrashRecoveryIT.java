package io.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.millrace.it.S2Client.Response;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;
import s2.v1.Header;
import s2.v1.ReadBatch;
import s2.v1.SequencedRecord;
import s2.v1.StreamPosition;

/**
 * Writers append batches while the server is killed with SIGKILL at random moments and restarted on
 * the same data dir. After the final restart every acknowledged record must read back with the same
 * seq num, timestamp, headers and body; tails and fencing tokens must be intact; records past the
 * acknowledged ones may only appear as whole batches.
 *
 * <p>Three streams: a serial writer using match_seq_num and fencing tokens (protobuf), and two
 * pipelined writers with several appends in flight (one protobuf, one JSON with s2-format base64).
 * All mix fence command records into their batches. The random source is seeded ({@code
 * -Dmillrace.crash.seed=N}); the seed is part of every failure message.
 */
class CrashRecoveryIT {

  private static final String BASIN = "crash-recovery";
  private static final String SERIAL = "crash/serial fenced";
  private static final String PIPELINED_PROTO = "crash/pipelined/proto";
  private static final String PIPELINED_JSON = "crash/pipelined/json-base64";
  private static final int KILL_CYCLES = 5;
  private static final int IN_FLIGHT = 4;

  /** Statuses the S2 error table marks retryable: the outcome of an append is unknown. */
  private static final Set<Integer> RETRYABLE = Set.of(408, 429, 500, 502, 503, 504);

  private static final Duration CYCLE_BUDGET = Duration.ofSeconds(140);
  private static final ByteString FENCE = ByteString.copyFromUtf8("fence");
  private static final ByteString BATCH = ByteString.copyFromUtf8("batch");
  private static final ByteString INDEX = ByteString.copyFromUtf8("idx");
  private static final ByteString BINARY_NAME = ByteString.copyFrom(new byte[] {0, (byte) 0xff, 7});

  @TempDir Path dataDir;

  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final AtomicLong batchIds = new AtomicLong();
  private final Map<Long, SentBatch> allBatches = new ConcurrentHashMap<>();
  private long seed;

  /** One batch as sent, and the ack if the server acknowledged it. */
  static final class SentBatch {
    final long id;
    final List<AppendRecord> records;
    final String fenceToken;
    volatile AppendAck ack;

    SentBatch(long id, List<AppendRecord> records, String fenceToken) {
      this.id = id;
      this.records = records;
      this.fenceToken = fenceToken;
    }
  }

  /** All batches one stream's writer sent, by id. */
  static final class StreamLog {
    final String stream;
    final Map<Long, SentBatch> sent = new ConcurrentHashMap<>();

    StreamLog(String stream) {
      this.stream = stream;
    }
  }

  @Test
  void everyAcknowledgedRecordSurvivesRepeatedKillNineWithItsSeqNumTimestampHeadersAndBody()
      throws Exception {
    seed = Long.getLong("millrace.crash.seed", 20261126L);
    Random random = new Random(seed);
    Path jar = ServerProcess.defaultJar();
    Path logs = Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
    long began = System.nanoTime();

    StreamLog serialLog = new StreamLog(SERIAL);
    StreamLog protoLog = new StreamLog(PIPELINED_PROTO);
    StreamLog jsonLog = new StreamLog(PIPELINED_JSON);
    SerialWriter serial = new SerialWriter(serialLog, new Random(random.nextLong()));
    PipelinedWriter pipelinedProto =
        new PipelinedWriter(protoLog, new Random(random.nextLong()), false);
    PipelinedWriter pipelinedJson =
        new PipelinedWriter(jsonLog, new Random(random.nextLong()), true);

    int kills = 0;
    ServerProcess server = start(jar, logs, 0);
    try {
      S2Client setup = new S2Client(server.baseUri(), server.accessToken());
      setup.createBasin(BASIN, null);
      String config = "{\"retention_policy\":{\"infinite\":{}}}";
      for (String s : List.of(SERIAL, PIPELINED_PROTO, PIPELINED_JSON)) {
        setup.createStream(BASIN, s, config);
      }
      for (int cycle = 1; cycle <= KILL_CYCLES; cycle++) {
        long cycleStart = System.nanoTime();
        S2Client client = new S2Client(server.baseUri(), server.accessToken());
        serial.resync(client);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers =
            List.of(
                new Thread(() -> serial.run(client, stop), "serial"),
                new Thread(() -> pipelinedProto.run(client, stop), "pipelined-proto"),
                new Thread(() -> pipelinedJson.run(client, stop), "pipelined-json"));
        for (Thread w : writers) {
          w.setUncaughtExceptionHandler((t, e) -> problems.add(t.getName() + " failed: " + e));
          w.start();
        }
        Thread.sleep(1000 + random.nextInt(3000));
        server.kill();
        kills++;
        stop.set(true);
        for (Thread w : writers) {
          w.join(TimeUnit.SECONDS.toMillis(60));
          assertThat(w.isAlive()).as("writer %s stopped after the kill", w.getName()).isFalse();
        }
        server = start(jar, logs, cycle);
        // Stay within the time budget: no new cycle that would end past it (after two kills).
        long now = System.nanoTime();
        Duration projected = Duration.ofNanos(now - began + (now - cycleStart));
        if (cycle >= 2 && projected.compareTo(CYCLE_BUDGET) > 0) {
          break;
        }
      }
      S2Client client = new S2Client(server.baseUri(), server.accessToken());
      serial.resync(client);
      verify(client, serialLog, serial.token);
      verify(client, protoLog, null);
      verify(client, jsonLog, null);
    } finally {
      server.close();
    }
    assertThat(problems.subList(0, Math.min(40, problems.size())))
        .as("the first of %d problems (seed %d, %d kills)", problems.size(), seed, kills)
        .isEmpty();
  }

  private ServerProcess start(Path jar, Path logs, int cycle) {
    return ServerProcess.start(
        jar,
        dataDir,
        ServerProcess.freePort(),
        logs.resolve("crash-" + seed + "-start-" + cycle + ".log"),
        List.of("-Xmx512m"));
  }

  // ---------------------------------------------------------------------------------------------
  // Batches

  /**
   * A batch of 1..maxRecords data records with headers (batch id, index, a binary header) and
   * random binary bodies, timestamps base+i, optionally ending with a fence record.
   */
  private SentBatch newBatch(Random random, int maxRecords, int maxBody, String fenceToken) {
    long id = batchIds.incrementAndGet();
    long base = System.currentTimeMillis() - 5_000;
    int n = 1 + random.nextInt(maxRecords);
    List<AppendRecord> records = new ArrayList<>(n + 1);
    for (int i = 0; i < n; i++) {
      byte[] body = new byte[random.nextInt(maxBody + 1)];
      random.nextBytes(body);
      byte[] binaryValue = new byte[random.nextInt(17)];
      random.nextBytes(binaryValue);
      records.add(
          AppendRecord.newBuilder()
              .setTimestamp(base + i)
              .addHeaders(header(BATCH, ByteString.copyFromUtf8(Long.toString(id))))
              .addHeaders(header(INDEX, ByteString.copyFromUtf8(Integer.toString(i))))
              .addHeaders(header(BINARY_NAME, ByteString.copyFrom(binaryValue)))
              .setBody(ByteString.copyFrom(body))
              .build());
    }
    if (fenceToken != null) {
      records.add(
          AppendRecord.newBuilder()
              .setTimestamp(base + n)
              .addHeaders(header(ByteString.EMPTY, FENCE))
              .setBody(ByteString.copyFromUtf8(fenceToken))
              .build());
    }
    SentBatch batch = new SentBatch(id, List.copyOf(records), fenceToken);
    allBatches.put(id, batch);
    return batch;
  }

  private static Header header(ByteString name, ByteString value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }

  private static HttpRequest jsonBase64Append(S2Client client, String stream, SentBatch batch) {
    Base64.Encoder b64 = Base64.getEncoder();
    ObjectNode input = S2Client.JSON.createObjectNode();
    ArrayNode records = input.putArray("records");
    for (AppendRecord r : batch.records) {
      ObjectNode rec = records.addObject();
      rec.put("timestamp", r.getTimestamp());
      ArrayNode headers = rec.putArray("headers");
      for (Header h : r.getHeadersList()) {
        headers
            .addArray()
            .add(b64.encodeToString(h.getName().toByteArray()))
            .add(b64.encodeToString(h.getValue().toByteArray()));
      }
      rec.put("body", b64.encodeToString(r.getBody().toByteArray()));
    }
    return client
        .request(S2Client.streamPath(stream) + "/records", BASIN)
        .header("content-type", "application/json")
        .header("s2-format", "base64")
        .POST(HttpRequest.BodyPublishers.ofString(input.toString()))
        .build();
  }

  private static AppendAck parseJsonAck(Response res) {
    JsonNode json = res.json();
    return AppendAck.newBuilder()
        .setStart(position(json.get("start")))
        .setEnd(position(json.get("end")))
        .setTail(position(json.get("tail")))
        .build();
  }

  private static StreamPosition position(JsonNode node) {
    return StreamPosition.newBuilder()
        .setSeqNum(node.get("seq_num").asLong())
        .setTimestamp(node.get("timestamp").asLong())
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Writers

  /**
   * One append in flight at a time, each conditioned on match_seq_num and the current fencing
   * token; about one batch in five ends with a fence record that changes the token. After a restart
   * it learns from the tail whether its unacknowledged batch landed (whole) or not.
   */
  final class SerialWriter {
    final StreamLog log;
    final Random random;
    long nextSeq;
    String token = "";
    SentBatch uncertain;
    int fences;

    SerialWriter(StreamLog log, Random random) {
      this.log = log;
      this.random = random;
    }

    void resync(S2Client client) throws IOException {
      long tail = retrying(() -> client.checkTail(BASIN, log.stream)).getSeqNum();
      if (uncertain == null) {
        if (tail != nextSeq) {
          problems.add(
              log.stream
                  + ": tail "
                  + tail
                  + " after restart, but the last ack ended at "
                  + nextSeq);
        }
      } else if (tail == nextSeq + uncertain.records.size()) {
        nextSeq = tail;
        if (uncertain.fenceToken != null) {
          token = uncertain.fenceToken;
        }
      } else if (tail != nextSeq) {
        problems.add(
            log.stream
                + ": tail "
                + tail
                + " after restart; expected "
                + nextSeq
                + " or "
                + (nextSeq + uncertain.records.size())
                + " (a whole unacked batch)");
      }
      uncertain = null;
    }

    void run(S2Client client, AtomicBoolean stop) {
      while (!stop.get() && uncertain == null) {
        String fence = random.nextInt(5) == 0 ? "serial-" + (++fences) : null;
        SentBatch batch = newBatch(random, 20, 2048, fence);
        log.sent.put(batch.id, batch);
        AppendInput input =
            AppendInput.newBuilder()
                .addAllRecords(batch.records)
                .setMatchSeqNum(nextSeq)
                .setFencingToken(token)
                .build();
        Response res;
        try {
          res = client.send(client.appendProtoRequest(BASIN, log.stream, input));
        } catch (IOException e) {
          uncertain = batch;
          return;
        }
        if (res.status() != 200) {
          // A retryable error leaves the outcome unknown, like a lost connection; others are wrong.
          if (!RETRYABLE.contains(res.status())) {
            problems.add(log.stream + ": append answered " + res.status() + " " + res.text());
          }
          uncertain = batch;
          return;
        }
        AppendAck ack = S2Client.parseAck(res, "serial append");
        batch.ack = ack;
        if (ack.getStart().getSeqNum() != nextSeq) {
          problems.add(
              log.stream
                  + ": ack starts at "
                  + ack.getStart().getSeqNum()
                  + ", expected "
                  + nextSeq);
        }
        nextSeq = ack.getEnd().getSeqNum();
        if (fence != null) {
          token = fence;
        }
      }
    }
  }

  /** Keeps several unconditional appends in flight; about one batch in ten ends with a fence. */
  final class PipelinedWriter {
    final StreamLog log;
    final Random random;
    final boolean json;

    PipelinedWriter(StreamLog log, Random random, boolean json) {
      this.log = log;
      this.random = random;
      this.json = json;
    }

    void run(S2Client client, AtomicBoolean stop) {
      Semaphore slots = new Semaphore(IN_FLIGHT);
      AtomicBoolean broken = new AtomicBoolean();
      try {
        while (!stop.get() && !broken.get()) {
          slots.acquire();
          if (stop.get() || broken.get()) {
            slots.release();
            break;
          }
          String fence = random.nextInt(10) == 0 ? log.stream + "-" + batchIds.get() : null;
          SentBatch batch = newBatch(random, 50, 1024, fence);
          log.sent.put(batch.id, batch);
          HttpRequest request =
              json
                  ? jsonBase64Append(client, log.stream, batch)
                  : client.appendProtoRequest(
                      BASIN,
                      log.stream,
                      AppendInput.newBuilder().addAllRecords(batch.records).build());
          client
              .sendAsync(request)
              .whenComplete(
                  (res, error) -> {
                    try {
                      if (error != null) {
                        broken.set(true);
                      } else if (res.status() != 200) {
                        if (!RETRYABLE.contains(res.status())) {
                          problems.add(
                              log.stream + ": append answered " + res.status() + " " + res.text());
                        }
                        broken.set(true);
                      } else {
                        batch.ack =
                            json ? parseJsonAck(res) : S2Client.parseAck(res, "pipelined append");
                      }
                    } catch (RuntimeException e) {
                      problems.add(log.stream + ": bad ack: " + e);
                    } finally {
                      slots.release();
                    }
                  });
        }
        if (!slots.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
          problems.add(log.stream + ": appends still in flight 60 s after the kill");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Verification

  private List<SequencedRecord> readAll(S2Client client, String stream, long tail)
      throws IOException {
    List<SequencedRecord> all = new ArrayList<>();
    while (all.size() < tail) {
      long from = all.size();
      ReadBatch batch = retrying(() -> client.readProto(BASIN, stream, from, 1000));
      if (batch.getRecordsCount() == 0) {
        problems.add(stream + ": empty read at " + all.size() + " below tail " + tail);
        break;
      }
      all.addAll(batch.getRecordsList());
    }
    return all;
  }

  private void verify(S2Client client, StreamLog log, String writerToken) throws IOException {
    String s = log.stream;
    StreamPosition tail = retrying(() -> client.checkTail(BASIN, s));
    List<SequencedRecord> records = readAll(client, s, tail.getSeqNum());
    long acked = log.sent.values().stream().filter(b -> b.ack != null).count();
    assertThat(acked)
        .as("%s: the writer got acks before the kills (seed %d)", s, seed)
        .isPositive();

    Set<Long> seen = new HashSet<>();
    String lastFence = "";
    long lastTimestamp = 0;
    int landedUnacked = 0;
    int pos = 0;
    int problemsBefore = problems.size();
    while (pos < records.size() && problems.size() - problemsBefore < 20) {
      SequencedRecord first = records.get(pos);
      SentBatch batch = batchOf(first);
      if (batch == null || log.sent.get(batch.id) != batch) {
        problems.add(s + ": record " + pos + " does not start a batch any writer sent: " + first);
        break;
      }
      if (!seen.add(batch.id)) {
        problems.add(s + ": batch " + batch.id + " appears twice, again at " + pos);
      }
      if (batch.ack == null) {
        landedUnacked++;
      } else if (batch.ack.getStart().getSeqNum() != pos) {
        problems.add(
            s
                + ": acked batch "
                + batch.id
                + " was acked at "
                + batch.ack.getStart().getSeqNum()
                + " but reads back at "
                + pos);
      }
      int n = batch.records.size();
      if (pos + n > records.size()) {
        problems.add(
            s
                + ": only "
                + (records.size() - pos)
                + " of the "
                + n
                + " records of batch "
                + batch.id
                + " are present (a partial batch)");
        break;
      }
      for (int i = 0; i < n; i++) {
        SequencedRecord got = records.get(pos + i);
        AppendRecord sent = batch.records.get(i);
        String where = s + " seq " + (pos + i) + " (batch " + batch.id + " record " + i + ")";
        if (got.getSeqNum() != pos + i) {
          problems.add(where + ": read back with seq num " + got.getSeqNum());
        }
        if (!got.getHeadersList().equals(sent.getHeadersList())) {
          problems.add(where + ": headers differ: " + got.getHeadersList());
        }
        if (!got.getBody().equals(sent.getBody())) {
          problems.add(where + ": body differs (" + got.getBody().size() + " bytes read back)");
        }
        if (got.getTimestamp() < lastTimestamp) {
          problems.add(where + ": timestamp " + got.getTimestamp() + " goes backwards");
        }
        lastTimestamp = got.getTimestamp();
        if (batch.ack != null) {
          long expected = Math.max(sent.getTimestamp(), batch.ack.getStart().getTimestamp());
          if (got.getTimestamp() != expected) {
            problems.add(where + ": timestamp " + got.getTimestamp() + ", expected " + expected);
          }
          if (i == n - 1 && batch.ack.getEnd().getTimestamp() != got.getTimestamp()) {
            problems.add(where + ": ack end timestamp " + batch.ack.getEnd().getTimestamp());
          }
        }
      }
      if (batch.ack != null && batch.ack.getEnd().getSeqNum() != pos + n) {
        problems.add(s + ": batch " + batch.id + " ack ends at " + batch.ack.getEnd().getSeqNum());
      }
      if (batch.fenceToken != null) {
        lastFence = batch.fenceToken;
      }
      pos += n;
    }
    for (SentBatch b : log.sent.values()) {
      if (b.ack != null && !seen.contains(b.id)) {
        problems.add(
            s
                + ": acknowledged batch "
                + b.id
                + " at seq "
                + b.ack.getStart().getSeqNum()
                + " is missing after the restart");
      }
    }
    if (tail.getSeqNum() != records.size()) {
      problems.add(s + ": tail " + tail.getSeqNum() + " but " + records.size() + " records read");
    }
    if (!records.isEmpty() && tail.getTimestamp() != lastTimestamp) {
      problems.add(
          s + ": tail timestamp " + tail.getTimestamp() + " but last record has " + lastTimestamp);
    }
    if (writerToken != null && !writerToken.equals(lastFence)) {
      problems.add(s + ": writer's fencing token " + writerToken + " but last fence " + lastFence);
    }
    verifyFencing(client, s, lastFence, tail.getSeqNum());
    System.out.printf(
        "%s: %d records, %d acked batches, %d unacked batches that landed whole, fencing token"
            + " '%s' (seed %d)%n",
        s, records.size(), acked, landedUnacked, lastFence, seed);
  }

  private SentBatch batchOf(SequencedRecord first) {
    if (first.getHeadersCount() < 1 || !first.getHeaders(0).getName().equals(BATCH)) {
      return null;
    }
    try {
      return allBatches.get(
          Long.parseLong(first.getHeaders(0).getValue().toString(StandardCharsets.UTF_8)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The stream's fencing token survived: other tokens get 412 naming it, it is accepted. */
  private void verifyFencing(S2Client client, String stream, String token, long tail)
      throws IOException {
    AppendInput probe =
        AppendInput.newBuilder()
            .addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8("probe")))
            .setFencingToken("not-the-token")
            .build();
    Response wrong = client.send(client.appendProtoRequest(BASIN, stream, probe));
    if (wrong.status() != 412
        || !token.equals(textOrNull(wrong.json().get("fencing_token_mismatch")))) {
      problems.add(
          stream
              + ": a wrong fencing token answered "
              + wrong.status()
              + " "
              + wrong.text()
              + ", expected 412 naming '"
              + token
              + "'");
    }
    AppendInput right = probe.toBuilder().setFencingToken(token).setMatchSeqNum(tail).build();
    Response ok = client.send(client.appendProtoRequest(BASIN, stream, right));
    if (ok.status() != 200) {
      problems.add(stream + ": the surviving fencing token was refused: " + ok.text());
    } else if (S2Client.parseAck(ok, "probe").getStart().getSeqNum() != tail) {
      problems.add(stream + ": probe append did not land at the tail " + tail);
    }
  }

  /** A call that may fail with an I/O error. */
  interface IoCall<T> {
    T call() throws IOException;
  }

  /**
   * Calls {@code call}, retrying for up to 30 s while the server answers a retryable status (as any
   * client would, e.g. while streams recover right after a restart).
   */
  private static <T> T retrying(IoCall<T> call) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return call.call();
      } catch (S2Client.UnexpectedStatus e) {
        if (!RETRYABLE.contains(e.status()) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  private static String textOrNull(JsonNode node) {
    return node == null ? null : node.asText();
  }
}
