package io.millrace.it.bench;

import com.google.protobuf.ByteString;
import io.millrace.it.S2Client;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;

/**
 * Benchmark of a running Millrace cluster (for example {@code deploy/local/cluster.sh start}: three
 * nodes over S3Proxy and Cassandra), over HTTP/1.1 with protobuf bodies:
 *
 * <ol>
 *   <li>serial append ack latency of 1 record of 128 B through each node in turn (one append in
 *       flight at a time, one stream);
 *   <li>aggregate append throughput: {@code --writers} writers per node, each appending batches of
 *       {@code --batch} records of 1 KiB to its own stream for {@code --seconds};
 *   <li>with {@code --kill-node N} (needs {@code deploy/local/cluster.sh}): writers on {@code
 *       --fault-streams} streams append one record at a time through the other nodes; node N is
 *       killed ({@code cluster.sh kill-node N}), and once every stream has accepted appends again
 *       it is restarted ({@code cluster.sh restart-node N}) and rejoins, so shards move back to it.
 *       For each stream the longest time between two consecutive acknowledgements is reported for
 *       the failover window and for the rebalancing window.
 * </ol>
 *
 * <p>Options: {@code --endpoints URL,URL,...} (default the three nodes of cluster.sh, {@code
 * http://127.0.0.1:8081..8083}), {@code --small N} (default 2000), {@code --warmup N} (default
 * 200), {@code --writers N} (default 4), {@code --batch N} (default 100), {@code --seconds N}
 * (default 30), {@code --kill-node N}, {@code --fault-streams N} (default 12), {@code --cluster-sh
 * PATH} (default deploy/local/cluster.sh), {@code --phases latency,throughput,faults} (default all;
 * faults only with {@code --kill-node}). See docs/benchmarks.md.
 */
public final class ClusterBench {
  private static final String BASIN = "cluster-bench";

  private ClusterBench() {}

  /** Runs the benchmark and prints Markdown tables. */
  public static void main(String[] args) throws Exception {
    List<URI> endpoints =
        List.of(
            URI.create("http://127.0.0.1:8081"),
            URI.create("http://127.0.0.1:8082"),
            URI.create("http://127.0.0.1:8083"));
    int small = 2000;
    int warmup = 200;
    int writersPerNode = 4;
    int batch = 100;
    int seconds = 30;
    int killNode = 0;
    int faultStreams = 12;
    Path clusterSh = Path.of("deploy/local/cluster.sh");
    List<String> phases = List.of("latency", "throughput", "faults");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--phases" -> phases = List.of(args[++i].split(","));
        case "--endpoints" ->
            endpoints = Arrays.stream(args[++i].split(",")).map(URI::create).toList();
        case "--small" -> small = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--writers" -> writersPerNode = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--kill-node" -> killNode = Integer.parseInt(args[++i]);
        case "--fault-streams" -> faultStreams = Integer.parseInt(args[++i]);
        case "--cluster-sh" -> clusterSh = Path.of(args[++i]);
        default -> {
          System.err.println(
              "usage: ClusterBench [--endpoints URL,...] [--small N] [--warmup N] [--writers N]"
                  + " [--batch N] [--seconds N] [--kill-node N] [--fault-streams N]"
                  + " [--cluster-sh PATH] [--phases latency,throughput,faults]");
          System.exit(2);
        }
      }
    }
    List<S2Client> clients = endpoints.stream().map(S2Client::new).toList();
    String run = Long.toString(System.currentTimeMillis(), 36);
    String basin = BASIN + "-" + run;
    clients.get(0).createBasin(basin, null);

    if (phases.contains("latency")) {
      System.out.println("| measurement | via | n | p50 | p99 | max |");
      System.out.println("|---|---|---|---|---|---|");
      serialLatency(clients, endpoints, basin, small, warmup);
      System.out.println();
    }
    if (phases.contains("throughput")) {
      throughput(clients, basin, writersPerNode, batch, seconds);
    }
    if (killNode > 0 && phases.contains("faults")) {
      System.out.println();
      faults(clients, endpoints, basin, killNode, faultStreams, clusterSh);
    }
  }

  private static AppendInput records(int count, int size, Random random) {
    AppendInput.Builder input = AppendInput.newBuilder();
    byte[] body = new byte[size];
    for (int i = 0; i < count; i++) {
      random.nextBytes(body);
      input.addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)));
    }
    return input.build();
  }

  private static void serialLatency(
      List<S2Client> clients, List<URI> endpoints, String basin, int small, int warmup)
      throws IOException {
    String stream = "latency";
    clients.get(0).createStream(basin, stream, null);
    Random random = new Random(1);
    Histogram all = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    for (int n = 0; n < clients.size(); n++) {
      S2Client client = clients.get(n);
      for (int i = 0; i < warmup; i++) {
        client.appendProto(basin, stream, records(1, 128, random));
      }
      Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
      for (int i = 0; i < small; i++) {
        AppendInput input = records(1, 128, random);
        long start = System.nanoTime();
        client.appendProto(basin, stream, input);
        long micros = (System.nanoTime() - start) / 1000;
        h.recordValue(micros);
        all.recordValue(micros);
      }
      row("append ack, 1 record x 128 B (serial)", endpoints.get(n).toString(), h);
    }
    row("append ack, 1 record x 128 B (serial)", "all nodes", all);
  }

  private static void row(String what, String via, Histogram h) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %d | %.2f ms | %.2f ms | %.2f ms |%n",
        what,
        via,
        h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0);
  }

  private static void throughput(
      List<S2Client> clients, String basin, int writersPerNode, int batch, int seconds)
      throws Exception {
    int writers = writersPerNode * clients.size();
    for (int w = 0; w < writers; w++) {
      clients.get(w % clients.size()).createStream(basin, "throughput-" + w, null);
    }
    AtomicLong records = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    long[] window = new long[2];
    for (int w = 0; w < writers; w++) {
      S2Client client = clients.get(w % clients.size());
      String stream = "throughput-" + w;
      Random random = new Random(w);
      Thread t =
          new Thread(
              () -> {
                while (!stop.get()) {
                  AppendInput input = records(batch, 1024, random);
                  long start = System.nanoTime();
                  try {
                    client.appendProto(basin, stream, input);
                    long end = System.nanoTime();
                    if (start >= window[0] && end <= window[1]) {
                      records.addAndGet(batch);
                      synchronized (latency) {
                        latency.recordValue((end - start) / 1000);
                      }
                    }
                  } catch (IOException | RuntimeException e) {
                    failures.incrementAndGet();
                  }
                }
              },
              "writer-" + w);
      threads.add(t);
    }
    // 5 s of warm-up, then the measured window.
    long now = System.nanoTime();
    window[0] = now + TimeUnit.SECONDS.toNanos(5);
    window[1] = window[0] + TimeUnit.SECONDS.toNanos(seconds);
    for (Thread t : threads) {
      t.start();
    }
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(window[1] - now) + 100);
    stop.set(true);
    for (Thread t : threads) {
      t.join(120_000);
    }
    long n = records.get();
    double mib = n * (8 + 1024) / 1024.0 / 1024.0;
    System.out.println(
        "| measurement | writers | records | MiB (metered) | seconds | MiB/s | records/s |"
            + " batch ack p50 | batch ack p99 | failed appends |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    System.out.printf(
        Locale.ROOT,
        "| aggregate append, %d records x 1 KiB per batch | %d (%d per node) | %d | %.1f | %d |"
            + " %.1f | %.0f | %.2f ms | %.2f ms | %d |%n",
        batch,
        writers,
        writersPerNode,
        n,
        mib,
        seconds,
        mib / seconds,
        n / (double) seconds,
        latency.getValueAtPercentile(50) / 1000.0,
        latency.getValueAtPercentile(99) / 1000.0,
        failures.get());
  }

  /** One serial writer of the fault phase: the answer times of its acknowledged appends. */
  private static final class Writer extends Thread {
    final List<Long> acks = new CopyOnWriteArrayList<>();
    private final List<Long> ackedSends = new CopyOnWriteArrayList<>();
    final AtomicLong failures = new AtomicLong();
    private final List<S2Client> via;
    private final String basin;
    private final String stream;
    private final AtomicBoolean stop;

    Writer(List<S2Client> via, String basin, String stream, AtomicBoolean stop) {
      super("fault-writer-" + stream);
      this.via = via;
      this.basin = basin;
      this.stream = stream;
      this.stop = stop;
    }

    @Override
    public void run() {
      Random random = new Random(stream.hashCode());
      for (int k = 0; !stop.get(); k++) {
        try {
          long sent = System.nanoTime();
          via.get(k % via.size()).appendProto(basin, stream, records(1, 128, random));
          acks.add(System.nanoTime());
          ackedSends.add(sent);
        } catch (IOException | RuntimeException e) {
          failures.incrementAndGet();
          try {
            Thread.sleep(100);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }

    /** The longest time between consecutive acks answered in (from, to], counting from before. */
    long longestGapMillis(long from, long to) {
      long longest = 0;
      List<Long> times = List.copyOf(acks);
      for (int i = 1; i < times.size(); i++) {
        if (times.get(i) > from && times.get(i - 1) <= to) {
          longest = Math.max(longest, times.get(i) - times.get(i - 1));
        }
      }
      return longest / 1_000_000;
    }

    /** True once an append sent after {@code nanos} has been acknowledged. */
    boolean ackedSentAfter(long nanos) {
      List<Long> times = List.copyOf(ackedSends);
      return !times.isEmpty() && times.get(times.size() - 1) > nanos;
    }
  }

  private static void faults(
      List<S2Client> clients,
      List<URI> endpoints,
      String basin,
      int killNode,
      int streams,
      Path clusterSh)
      throws Exception {
    List<S2Client> via = new ArrayList<>(clients);
    via.remove(killNode - 1);
    AtomicBoolean stop = new AtomicBoolean();
    List<Writer> writers = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      String stream = "fault-" + i;
      via.get(i % via.size()).createStream(basin, stream, null);
      writers.add(new Writer(via, basin, stream, stop));
    }
    for (Writer w : writers) {
      w.start();
    }
    Thread.sleep(5000);
    sh(clusterSh, "kill-node", Integer.toString(killNode));
    // After the script returns: appends sent while it ran may still have been acked by the node.
    long killedAt = System.nanoTime();
    long limit = killedAt + TimeUnit.SECONDS.toNanos(180);
    while (!writers.stream().allMatch(w -> w.ackedSentAfter(killedAt))
        && System.nanoTime() < limit) {
      Thread.sleep(200);
    }
    long recoveredAt = System.nanoTime();
    Thread.sleep(5000);
    long restartAt = System.nanoTime();
    sh(clusterSh, "restart-node", Integer.toString(killNode));
    long readyAt = System.nanoTime();
    Thread.sleep(30_000);
    long end = System.nanoTime();
    stop.set(true);
    for (Writer w : writers) {
      w.join(60_000);
    }
    List<Long> failover = new ArrayList<>();
    List<Long> rebalance = new ArrayList<>();
    long failures = 0;
    for (Writer w : writers) {
      failover.add(w.longestGapMillis(killedAt, restartAt));
      // Shards move to the node once it is Up in the cluster, before its HTTP port is ready.
      rebalance.add(w.longestGapMillis(restartAt, end));
      failures += w.failures.get();
    }
    failover.sort(null);
    rebalance.sort(null);
    System.out.printf(
        "Node %d (%s) killed; every one of %d streams acknowledged appends again after %d ms;"
            + " node %d restarted and healthy after %d ms; %d appends failed.%n%n",
        killNode,
        endpoints.get(killNode - 1),
        streams,
        (recoveredAt - killedAt) / 1_000_000,
        killNode,
        (readyAt - restartAt) / 1_000_000,
        failures);
    System.out.println("| window | longest pause between acks per stream, sorted (ms) |");
    System.out.println("|---|---|");
    System.out.println("| node killed (failover) | " + failover + " |");
    System.out.println(
        "| node restarted, until 30 s after it is healthy (rebalancing) | " + rebalance + " |");
  }

  private static void sh(Path script, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed");
    }
  }
}
