package io.millrace.it.nemesis;

import io.millrace.it.S2Client;
import io.millrace.verification.HistoryRecorder;
import io.millrace.verification.SequencedRecord;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import s2.v1.AppendInput;
import s2.v1.ReadBatch;

/**
 * Concurrent clients, each a thread with its own seeded random source, sending a mix of operations
 * to random streams through random endpoints and recording them all: plain appends, appends with
 * {@code match_seq_num} (the tail the client last learned), appends with the fencing token the
 * client last learned, fence commands (conditional on the known token or not), reads from near the
 * known tail, long-poll tails ({@code wait=1} at the known tail) and check-tails.
 */
final class Workload {
  private final List<String> streams;
  private final Supplier<List<S2Client>> endpoints;
  private final HistoryRecorder recorder;
  private final String basin;
  private final long seed;
  private final Duration timeout;
  private final Map<String, AtomicLong> knownTail = new ConcurrentHashMap<>();
  private final Map<String, String> knownToken = new ConcurrentHashMap<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong operations = new AtomicLong();

  /**
   * @param endpoints the clients of the nodes to spread requests over, asked before every request
   *     (restarted nodes may have new clients)
   */
  Workload(
      List<String> streams,
      Supplier<List<S2Client>> endpoints,
      HistoryRecorder recorder,
      String basin,
      long seed,
      Duration timeout) {
    this.streams = List.copyOf(streams);
    this.endpoints = endpoints;
    this.recorder = recorder;
    this.basin = basin;
    this.seed = seed;
    this.timeout = timeout;
    for (String stream : streams) {
      knownTail.put(stream, new AtomicLong());
      knownToken.put(stream, "");
    }
  }

  /** Starts {@code clients} client threads. */
  void start(int clients) {
    for (int i = 0; i < clients; i++) {
      int client = i;
      Thread thread = new Thread(() -> runClient(client), "nemesis-client-" + client);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Stops the clients and waits for their last operations to complete. */
  void stop() throws InterruptedException {
    stop.set(true);
    for (Thread thread : threads) {
      thread.join(timeout.toMillis() + 10_000);
    }
  }

  long operations() {
    return operations.get();
  }

  private void runClient(int client) {
    Random random = new Random(seed * 1_000_003L + client);
    long counter = 0;
    while (!stop.get()) {
      List<S2Client> nodes = endpoints.get();
      S2Client node = nodes.get(random.nextInt(nodes.size()));
      RecordingClient recording = new RecordingClient(node, recorder, basin, timeout);
      String stream = streams.get(random.nextInt(streams.size()));
      long tail = knownTail.get(stream).get();
      String token = knownToken.get(stream);
      int dice = random.nextInt(100);
      RecordingClient.Learned learned;
      if (dice < 55) {
        AppendInput.Builder input = AppendInput.newBuilder();
        int records = 1 + random.nextInt(3);
        String newToken = null;
        if (dice < 5) {
          newToken = "c" + client + "-" + counter;
          input.addRecords(RecordingClient.fenceRecord(newToken));
          if (random.nextBoolean()) {
            input.setFencingToken(token);
          }
        } else if (dice < 20) {
          input.setMatchSeqNum(tail);
        } else if (dice < 30) {
          input.setFencingToken(token);
        }
        for (int r = 0; r < records; r++) {
          input.addRecords(
              RecordingClient.dataRecord(stream + "/c" + client + "/" + counter + "/" + r));
        }
        counter++;
        learned = recording.append(client, stream, input.build());
        if (newToken != null && learned.tail().isPresent()) {
          knownToken.put(stream, newToken);
        }
      } else if (dice < 75) {
        long start = Math.max(0, tail - random.nextInt(20));
        learned = recording.read(client, stream, start, 1 + random.nextInt(50), 0);
      } else if (dice < 85) {
        learned = recording.read(client, stream, tail, 100, 1);
      } else {
        learned = recording.checkTail(client, stream);
      }
      operations.incrementAndGet();
      learned.tail().ifPresent(t -> knownTail.get(stream).accumulateAndGet(t, Math::max));
      learned.token().ifPresent(t -> knownToken.put(stream, t));
      if (learned.tail().isEmpty() && learned.token().isEmpty()) {
        // A failure: give a restarting node a moment instead of spinning.
        sleep(100 + random.nextInt(200));
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Reads {@code stream} in full through {@code client} (check-tail, then pages from seq num 0),
   * retrying for up to {@code patience} while the cluster settles.
   */
  static io.millrace.verification.HistoryAudit.FinalRead readAll(
      S2Client client, String basin, String stream, Duration patience) throws IOException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        return tryReadAll(client, basin, stream);
      } catch (IOException | RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        sleep(500);
      }
    }
  }

  private static io.millrace.verification.HistoryAudit.FinalRead tryReadAll(
      S2Client client, String basin, String stream) throws IOException {
    long tail = client.checkTail(basin, stream).getSeqNum();
    List<SequencedRecord> records = new ArrayList<>();
    long next = 0;
    while (next < tail) {
      HttpRequest request =
          client
              .request(
                  S2Client.streamPath(stream) + "/records?seq_num=" + next + "&count=1000", basin)
              .header("accept", "application/protobuf")
              .GET()
              .build();
      S2Client.Response response = client.send(request);
      if (response.status() != 200) {
        throw new S2Client.UnexpectedStatus(
            "read " + stream + " from " + next, response.status(), response.text());
      }
      ReadBatch batch = ReadBatch.parseFrom(response.body());
      if (batch.getRecordsCount() == 0) {
        throw new IllegalStateException("empty read of " + stream + " at " + next + " < " + tail);
      }
      for (s2.v1.SequencedRecord record : batch.getRecordsList()) {
        records.add(
            new SequencedRecord(
                record.getSeqNum(),
                RecordingClient.historyHash(record.getHeadersList(), record.getBody())));
        next = record.getSeqNum() + 1;
      }
    }
    return new io.millrace.verification.HistoryAudit.FinalRead(0, records, tail);
  }
}
