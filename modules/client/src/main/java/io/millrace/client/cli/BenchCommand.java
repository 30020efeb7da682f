package io.millrace.client.cli;

import com.google.protobuf.ByteString;
import io.millrace.client.AppendSession;
import io.millrace.client.MillraceClient;
import io.millrace.client.ReadSession;
import io.millrace.client.S2Error;
import io.millrace.client.StreamClient;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendRecord;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.SequencedRecord;
import io.millrace.client.proto.StreamConfig;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace bench BASIN STREAM}: appends through a pipelined append session while a read
 * session follows the stream, and reports append throughput, ack latency and append-to-read latency
 * (p50/p99/p99.9). Every record carries its index, its send time and a SHA-256 hash chain link; the
 * reader recomputes the chain, so a lost, duplicated, reordered or altered record fails the run
 * (exit 1).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark a stream: append throughput and ack latency, append-to-read latency, with a"
            + " hash chain verified over everything read back. Creates the stream if missing.")
public final class BenchCommand extends ClientCommand {
  /** index (8) + send time (8) + chain hash (32). */
  static final int HEADER_BYTES = 48;

  @Mixin StreamArguments target;

  @Option(names = "--records", paramLabel = "N", description = "Records to append (default 10000).")
  long records = 10_000;

  @Option(
      names = "--record-size",
      paramLabel = "BYTES",
      description = "Body size of each record, at least 48 (default 1024).")
  int recordSize = 1024;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "Records per append batch, 1..1000 (default 100).")
  int batchSize = 100;

  @Option(
      names = "--inflight",
      paramLabel = "N",
      description = "Batches in flight in the append session (default 64).")
  int inflight = 64;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description = "Give up if the run takes longer (default 300).")
  long timeoutSeconds = 300;

  @Override
  int run() throws Exception {
    if (recordSize < HEADER_BYTES) {
      throw new IllegalArgumentException("--record-size must be at least " + HEADER_BYTES);
    }
    if (batchSize < 1 || batchSize > 1000) {
      throw new IllegalArgumentException("--batch-size must be 1..1000");
    }
    if (records < 1) {
      throw new IllegalArgumentException("--records must be at least 1");
    }
    PrintWriter out = out();
    PrintWriter err = err();
    try (MillraceClient client = options.connect(target.basin, inflight)) {
      StreamClient s = target.of(client);
      try {
        await(
            client
                .basin(target.basin)
                .createStream(target.stream, StreamConfig.getDefaultInstance()));
      } catch (RuntimeException e) {
        if (!"resource_already_exists".equals(S2Error.from(e).code())) {
          throw e;
        }
      }
      long start = await(s.checkTail()).getNextSeqNum();
      byte[] seed = new byte[32];
      new Random().nextBytes(seed);

      Histogram ackLatency = new Histogram(3);
      Histogram e2eLatency = new Histogram(3);
      AtomicLong appended = new AtomicLong();
      AtomicLong acked = new AtomicLong();
      AtomicLong read = new AtomicLong();
      AtomicReference<String> broken = new AtomicReference<>();
      Chain readChain = new Chain(seed);

      // no limit: a read session with a limit does not wait at the tail (S2 spec 6.2); it is
      // cancelled once every record was read
      ReadSessionRequest req =
          ReadSessionRequest.newBuilder().setSeqNum(start).setHeartbeats(true).build();
      CompletableFuture<Void> allRead = new CompletableFuture<>();
      ReadSession reader =
          s.readSession(
              req,
              new ReadSession.Listener() {
                @Override
                public void onBatch(List<SequencedRecord> batch) {
                  long now = System.nanoTime();
                  for (SequencedRecord r : batch) {
                    long i = read.get();
                    String problem = readChain.check(r, i, start + i);
                    if (problem != null) {
                      broken.compareAndSet(null, problem);
                    }
                    ByteBuffer body = r.getBody().asReadOnlyByteBuffer();
                    long sent = body.getLong(8);
                    synchronized (e2eLatency) {
                      e2eLatency.recordValue(Math.max(0, (now - sent) / 1000));
                    }
                    if (read.incrementAndGet() >= records) {
                      allRead.complete(null);
                    }
                  }
                }

                @Override
                public void onReconnect(S2Error cause, long nextSeqNum, int attempt) {
                  err.println("reader reconnecting from " + nextSeqNum + ": " + cause.getMessage());
                }
              });

      long t0 = System.nanoTime();
      Thread progress =
          new Thread(
              () -> {
                long last = 0;
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    Thread.sleep(1000);
                  } catch (InterruptedException e) {
                    return;
                  }
                  long a = acked.get();
                  double secs = (System.nanoTime() - t0) / 1e9;
                  err.printf(
                      Locale.ROOT,
                      "[%5.1fs] appended %d acked %d read %d (%.1f rec/s, %.2f MiB/s)%n",
                      secs,
                      appended.get(),
                      a,
                      read.get(),
                      (double) (a - last),
                      (a - last) * (double) recordSize / (1024 * 1024));
                  err.flush();
                  last = a;
                }
              },
              "bench-progress");
      progress.setDaemon(true);
      progress.start();

      Chain writeChain = new Chain(seed);
      Random filler = new Random();
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      try (AppendSession session = s.appendSession()) {
        long i = 0;
        while (i < records && session.failure() == null) {
          int n = (int) Math.min(batchSize, records - i);
          List<AppendRecord> batch = new ArrayList<>(n);
          for (int k = 0; k < n; k++, i++) {
            byte[] body = new byte[recordSize];
            filler.nextBytes(body);
            ByteBuffer.wrap(body).putLong(0, i).putLong(8, System.nanoTime());
            writeChain.link(body);
            batch.add(AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)).build());
          }
          long sent = System.nanoTime();
          CompletableFuture<AppendOutput> ack =
              session
                  .submit(AppendInput.newBuilder().addAllRecords(batch).build())
                  .toCompletableFuture();
          appended.addAndGet(n);
          acks.add(
              ack.thenAccept(
                  o -> {
                    long micros = (System.nanoTime() - sent) / 1000;
                    synchronized (ackLatency) {
                      ackLatency.recordValue(micros);
                    }
                    acked.addAndGet(n);
                  }));
        }
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
          .get(timeoutSeconds, TimeUnit.SECONDS);
      double appendSecs = (System.nanoTime() - t0) / 1e9;
      try {
        CompletableFuture.anyOf(allRead, reader.done().toCompletableFuture())
            .get(timeoutSeconds, TimeUnit.SECONDS);
      } finally {
        reader.cancel();
      }
      progress.interrupt();

      double mib = records * (double) recordSize / (1024 * 1024);
      out.printf(
          Locale.ROOT,
          "append: %d records of %d bytes in %.2f s: %.0f records/s, %.2f MiB/s%n",
          records,
          recordSize,
          appendSecs,
          records / appendSecs,
          mib / appendSecs);
      out.println("ack latency (ms): " + percentiles(ackLatency));
      out.println("append-to-read latency (ms): " + percentiles(e2eLatency));
      String problem = broken.get();
      if (problem == null && read.get() != records) {
        problem = "read " + read.get() + " records of " + records;
      }
      if (problem != null) {
        out.println("hash chain FAILED: " + problem);
        return 1;
      }
      out.println(
          "hash chain verified over "
              + read.get()
              + " records (seq nums "
              + start
              + ".."
              + (start + records - 1)
              + ")");
    }
    return 0;
  }

  static String percentiles(Histogram h) {
    synchronized (h) {
      return String.format(
          Locale.ROOT,
          "p50 %.2f p99 %.2f p99.9 %.2f max %.2f (n=%d)",
          h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0,
          h.getValueAtPercentile(99.9) / 1000.0,
          h.getMaxValue() / 1000.0,
          h.getTotalCount());
    }
  }

  /**
   * The hash chain: link i = SHA-256(link i-1, the record's index and send time, its filler bytes),
   * starting from a random seed; stored in body bytes 16..48.
   */
  static final class Chain {
    private byte[] prev;
    private final MessageDigest sha;

    Chain(byte[] seed) {
      this.prev = seed.clone();
      try {
        this.sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    private byte[] next(byte[] body) {
      sha.update(prev);
      sha.update(body, 0, 16);
      sha.update(body, HEADER_BYTES, body.length - HEADER_BYTES);
      return sha.digest();
    }

    /** Writes the next link into {@code body}. */
    void link(byte[] body) {
      prev = next(body);
      System.arraycopy(prev, 0, body, 16, 32);
    }

    /** Checks record {@code index} (expected at {@code seqNum}); null if it is the next link. */
    String check(SequencedRecord r, long index, long seqNum) {
      byte[] body = r.getBody().toByteArray();
      if (r.getSeqNum() != seqNum) {
        return "record " + index + " at seq num " + r.getSeqNum() + ", expected " + seqNum;
      }
      if (body.length < HEADER_BYTES) {
        return "record at seq num " + r.getSeqNum() + " is too short";
      }
      long got = ByteBuffer.wrap(body).getLong(0);
      if (got != index) {
        return "seq num " + r.getSeqNum() + " holds record " + got + ", expected " + index;
      }
      byte[] link = next(body);
      if (!Arrays.equals(link, Arrays.copyOfRange(body, 16, HEADER_BYTES))) {
        return "hash chain broken at seq num " + r.getSeqNum();
      }
      prev = link;
      return null;
    }
  }
}
