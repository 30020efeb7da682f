package io.millrace.it.bench;

import com.google.protobuf.ByteString;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;
import s2.v1.ReadBatch;
import s2.v1.SequencedRecord;

/**
 * Unary benchmark of a Millrace (or any S2 v1) server over HTTP/1.1 with protobuf bodies, the path
 * the Go, Rust and Python SDKs take:
 *
 * <ol>
 *   <li>serial append ack latency of 1 record of 128 B (one append in flight at a time);
 *   <li>serial append ack latency of batches of 1000 records of 1 KiB;
 *   <li>catch-up read throughput: unary reads of up to 1000 records from seq 0 to the tail of the
 *       stream written in step 2.
 * </ol>
 *
 * <p>Without {@code --endpoint URL} it starts the built server jar ({@code --jar}, default {@code
 * modules/server/target/millrace.jar}) on a temporary data dir and removes it afterwards. Options:
 * {@code --small N} (default 5000), {@code --large N} (default 100), {@code --warmup N} (default
 * 500). See docs/benchmarks.md.
 */
public final class UnaryBench {

  private UnaryBench() {}

  /** Runs the benchmark and prints a Markdown table. */
  public static void main(String[] args) throws Exception {
    String endpoint = null;
    Path jar = ServerProcess.defaultJar();
    int small = 5000;
    int large = 100;
    int warmup = 500;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--endpoint" -> endpoint = args[++i];
        case "--jar" -> jar = Path.of(args[++i]);
        case "--small" -> small = Integer.parseInt(args[++i]);
        case "--large" -> large = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        default -> {
          System.err.println(
              "usage: UnaryBench [--endpoint URL | --jar PATH] [--small N] [--large N]"
                  + " [--warmup N]");
          System.exit(2);
        }
      }
    }
    ServerProcess server = null;
    Path dataDir = null;
    URI base;
    String token = S2Client.tokenFromEnvironment();
    if (endpoint == null) {
      dataDir = Files.createTempDirectory("millrace-bench-");
      Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
      server =
          ServerProcess.start(
              jar, dataDir, ServerProcess.freePort(), log, List.of("-Xms1g", "-Xmx1g"));
      System.out.println("started " + jar + " (pid " + server.pid() + ") on " + dataDir);
      System.out.println("server log: " + log);
      base = server.baseUri();
      token = server.accessToken();
    } else {
      base = URI.create(endpoint);
    }
    try {
      run(new S2Client(base, token), small, large, warmup);
    } finally {
      if (server != null) {
        server.stop();
        deleteRecursively(dataDir);
      }
    }
  }

  private static void run(S2Client client, int small, int large, int warmup) throws IOException {
    String basin = "bench-" + Long.toHexString(System.nanoTime());
    client.createBasin(basin, null);
    client.createStream(basin, "bench/small", null);
    client.createStream(basin, "bench/large", null);
    Random random = new Random(42);

    AppendInput one = AppendInput.newBuilder().addRecords(record(random, 128)).build();
    for (int i = 0; i < warmup; i++) {
      client.appendProto(basin, "bench/small", one);
    }
    Histogram smallLatency = new Histogram(60_000_000L, 3);
    for (int i = 0; i < small; i++) {
      long t0 = System.nanoTime();
      client.appendProto(basin, "bench/small", one);
      smallLatency.recordValue((System.nanoTime() - t0) / 1000);
    }

    List<AppendRecord> records = new ArrayList<>(1000);
    for (int i = 0; i < 1000; i++) {
      records.add(record(random, 1024));
    }
    AppendInput thousand = AppendInput.newBuilder().addAllRecords(records).build();
    Histogram largeLatency = new Histogram(60_000_000L, 3);
    long expectedRecords = 0;
    for (int i = 0; i < large; i++) {
      long t0 = System.nanoTime();
      AppendAck ack = client.appendProto(basin, "bench/large", thousand);
      largeLatency.recordValue((System.nanoTime() - t0) / 1000);
      expectedRecords = ack.getEnd().getSeqNum();
    }

    long metered = 0;
    long count = 0;
    long t0 = System.nanoTime();
    while (count < expectedRecords) {
      ReadBatch batch = client.readProto(basin, "bench/large", count, 1000);
      if (batch.getRecordsCount() == 0) {
        throw new IllegalStateException("empty read at " + count + " of " + expectedRecords);
      }
      for (SequencedRecord r : batch.getRecordsList()) {
        metered += 8 + r.getBody().size();
        for (var h : r.getHeadersList()) {
          metered += 2 + h.getName().size() + h.getValue().size();
        }
      }
      count += batch.getRecordsCount();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double mib = metered / (1024.0 * 1024.0);

    System.out.println();
    System.out.println("| measurement | n | p50 | p99 | max |");
    System.out.println("|---|---|---|---|---|");
    printLatency("append ack, 1 record x 128 B (serial)", smallLatency);
    printLatency("append ack, 1000 records x 1 KiB (serial)", largeLatency);
    System.out.println();
    System.out.println("| measurement | records | MiB (metered) | seconds | MiB/s | records/s |");
    System.out.println("|---|---|---|---|---|---|");
    System.out.printf(
        Locale.ROOT,
        "| catch-up read, unary, 1000 records per read | %d | %.1f | %.2f | %.1f | %.0f |%n",
        count,
        mib,
        seconds,
        mib / seconds,
        count / seconds);
  }

  private static AppendRecord record(Random random, int bodyBytes) {
    byte[] body = new byte[bodyBytes];
    random.nextBytes(body);
    return AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)).build();
  }

  private static void printLatency(String what, Histogram h) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %.2f ms | %.2f ms | %.2f ms |%n",
        what,
        h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    }
  }
}
