package io.millrace.it.nemesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import io.millrace.verification.CheckResult;
import io.millrace.verification.History;
import io.millrace.verification.HistoryAudit;
import io.millrace.verification.HistoryRecorder;
import io.millrace.verification.LinearizabilityChecker;
import io.millrace.verification.Operation;
import io.millrace.verification.Outcome;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black-box fault histories (issue 13 item 3): concurrent clients append (plain, with {@code
 * match_seq_num}, with a fencing token, fence commands), read, long-poll at the tail and check the
 * tail, recording every invocation and completion, while a nemesis injects faults. Afterwards every
 * stream is read in full, the whole history goes to the {@link LinearizabilityChecker} and the
 * {@link HistoryAudit} counts lost acks, duplicate seq nums and gaps directly. Any violation fails
 * the test with the seed and an annotated history.
 *
 * <ul>
 *   <li>{@link #singleNodeUnderKillsAndPauses}: the built jar on embedded defaults (local WAL and
 *       object store), SIGKILLed and restarted on its data dir, and SIGSTOPped/SIGCONTed;
 *   <li>{@link #clusterUnderKillsPausesPartitionsAndStoreRestarts}: three nodes over S3Proxy and
 *       Cassandra ({@link ProxiedCluster}), with SIGKILL, SIGSTOP, partitions and slow links
 *       through the link proxies, and S3Proxy and Cassandra restarts.
 * </ul>
 *
 * <p>System properties: {@code nemesis.seed} (default random, always printed), {@code
 * nemesis.single.seconds} (default 20) and {@code nemesis.cluster.seconds} (default 30) of workload
 * under faults. The long run in docs/verification.md sets the last two.
 */
class NemesisIT {
  private static final String BASIN = "nemesis-basin";
  private static final Duration OP_TIMEOUT = Duration.ofSeconds(3);

  /** Injected in every single-node run, however short. */
  private static final List<String> SINGLE_REQUIRED = List.of("sigkill", "sigstop");

  /** Injected in every cluster run, however short. */
  private static final List<String> CLUSTER_REQUIRED = List.of("sigkill", "sigstop", "partition");

  private static long seed() {
    String value = System.getProperty("nemesis.seed");
    return value == null || value.isBlank() ? new Random().nextLong() : Long.parseLong(value);
  }

  private static Duration seconds(String property, long fallback) {
    String value = System.getProperty(property);
    return Duration.ofSeconds(value == null || value.isBlank() ? fallback : Long.parseLong(value));
  }

  private static Path logDir() {
    return Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
  }

  /** Fault counts by kind, in first-injected order. */
  private static final class Faults {
    private final Map<String, Integer> counts = new LinkedHashMap<>();

    synchronized void add(String kind) {
      counts.merge(kind, 1, Integer::sum);
    }

    synchronized java.util.Set<String> kinds() {
      return java.util.Set.copyOf(counts.keySet());
    }

    synchronized int total() {
      return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public synchronized String toString() {
      return total() + " " + counts;
    }
  }

  /**
   * Runs {@code body} with a time limit of the workload's length plus {@code overhead}, so the long
   * run is not cut short and a hung short run still fails.
   */
  private static void within(Duration workload, Duration overhead, Executable body) {
    assertTimeoutPreemptively(workload.plus(overhead), body);
  }

  @Test
  void singleNodeUnderKillsAndPauses(@TempDir Path dataDir) {
    Duration length = seconds("nemesis.single.seconds", 20);
    within(length, Duration.ofMinutes(5), () -> singleNode(dataDir, length));
  }

  private void singleNode(Path dataDir, Duration length) throws Exception {
    long seed = seed();
    System.out.println("NemesisIT single node: seed " + seed);
    Random random = new Random(seed);
    int port = ServerProcess.freePort();
    AtomicReference<Process> server = new AtomicReference<>(startSingle(dataDir, port));
    try {
      S2Client client =
          new S2Client(
              URI.create("http://127.0.0.1:" + port),
              ServerProcess.awaitPrintedToken(server.get(), singleLog(), Duration.ofSeconds(60)));
      List<String> streams = List.of("s0", "s1", "s2");
      client.createBasin(BASIN, null);
      for (String stream : streams) {
        client.createStream(BASIN, stream, null);
      }
      HistoryRecorder recorder = new HistoryRecorder(System::nanoTime);
      Workload workload =
          new Workload(streams, () -> List.of(client), recorder, BASIN, seed, OP_TIMEOUT);
      Faults faults = new Faults();
      // Both kinds once, in a seeded order, then random ones (two kills in three) until the time is
      // up: every run, however short, has a kill and a pause.
      List<String> first = new ArrayList<>(SINGLE_REQUIRED);
      java.util.Collections.shuffle(first, random);
      long end = System.nanoTime() + length.toNanos();
      workload.start(6);
      for (int round = 0; round < first.size() || System.nanoTime() < end; round++) {
        ServerProcess.sleep(1000 + random.nextInt(2000));
        boolean sigstop =
            round < first.size() ? first.get(round).equals("sigstop") : random.nextInt(3) == 0;
        if (sigstop) {
          long pause = 500 + random.nextInt(3000);
          Signals.pause(server.get().pid());
          ServerProcess.sleep(pause);
          Signals.resume(server.get().pid());
          faults.add("sigstop");
        } else {
          server.get().destroyForcibly();
          server.get().waitFor(30, TimeUnit.SECONDS);
          faults.add("sigkill");
          ServerProcess.sleep(random.nextInt(1000));
          server.set(startSingle(dataDir, port));
        }
      }
      ServerProcess.sleep(1000);
      workload.stop();
      Map<String, HistoryAudit.FinalRead> finals = new TreeMap<>();
      for (String stream : streams) {
        finals.put(stream, Workload.readAll(client, BASIN, stream, Duration.ofSeconds(30)));
      }
      verify("single node", seed, recorder.history(), finals, faults, SINGLE_REQUIRED);
    } finally {
      Process last = server.get();
      Signals.resume(last.pid());
      last.destroy();
      if (!last.waitFor(30, TimeUnit.SECONDS)) {
        last.destroyForcibly();
      }
    }
  }

  private static Path singleLog() {
    return logDir().resolve("nemesis-single.log");
  }

  /**
   * Starts the jar on embedded defaults over {@code dataDir} and waits until it answers {@code GET
   * /health} 200 (up to 4 minutes: a restart on a loaded machine can take well over a minute).
   */
  private static Process startSingle(Path dataDir, int port) {
    Process process =
        ServerProcess.launch(
            ServerProcess.defaultJar(),
            List.of("-Xmx256m", "-XX:+UseSerialGC"),
            List.of(
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toAbsolutePath().toString()),
            singleLog());
    try {
      ServerProcess.awaitHealthy(
          process,
          URI.create("http://127.0.0.1:" + port),
          Duration.ofMinutes(4),
          "server",
          singleLog());
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    return process;
  }

  @Test
  void clusterUnderKillsPausesPartitionsAndStoreRestarts() {
    Duration length = seconds("nemesis.cluster.seconds", 30);
    within(length, Duration.ofMinutes(15), () -> cluster(length));
  }

  private void cluster(Duration length) throws Exception {
    long seed = seed();
    System.out.println("NemesisIT cluster: seed " + seed);
    Random random = new Random(seed);
    long started = System.nanoTime();
    try (ProxiedCluster cluster = new ProxiedCluster(logDir())) {
      System.out.printf(
          "NemesisIT cluster: started in %d s%n",
          Duration.ofNanos(System.nanoTime() - started).toSeconds());
      S2Client first = cluster.clients().get(0);
      List<String> streams = List.of("s0", "s1", "s2", "s3");
      first.createBasin(BASIN, null);
      for (String stream : streams) {
        first.createStream(BASIN, stream, null);
      }
      HistoryRecorder recorder = new HistoryRecorder(System::nanoTime);
      Workload workload =
          new Workload(streams, cluster::clients, recorder, BASIN, seed, OP_TIMEOUT);
      Faults faults = new Faults();
      // Every kind of fault once, in a seeded order, then random ones until the time is up. The
      // required kinds come first and are injected however short the run: every run has a kill, a
      // pause and a partition.
      List<String> kinds = new ArrayList<>(CLUSTER_REQUIRED);
      java.util.Collections.shuffle(kinds, random);
      List<String> others =
          new ArrayList<>(List.of("one-way-partition", "split-pair", "slow-links", "s3proxy"));
      java.util.Collections.shuffle(others, random);
      kinds.addAll(others);
      kinds.add("cassandra");
      List<String> all = List.copyOf(kinds);
      long end = System.nanoTime() + length.toNanos();
      try {
        workload.start(6);
        int round = 0;
        while (round < CLUSTER_REQUIRED.size() || System.nanoTime() < end) {
          ServerProcess.sleep(1000 + random.nextInt(2000));
          String kind =
              round < kinds.size() ? kinds.get(round) : all.get(random.nextInt(all.size()));
          round++;
          int node = random.nextInt(ProxiedCluster.NODES);
          inject(cluster, kind, node, random);
          faults.add(kind);
          for (int n = 0; n < ProxiedCluster.NODES; n++) {
            if (cluster.repair(n, Duration.ofSeconds(20))) {
              faults.add("relaunch-after-" + kind);
            }
          }
        }
        ServerProcess.sleep(1000);
      } finally {
        cluster.healLinks();
        workload.stop();
      }
      Map<String, HistoryAudit.FinalRead> finals = new TreeMap<>();
      for (String stream : streams) {
        finals.put(stream, Workload.readAll(first, BASIN, stream, Duration.ofSeconds(90)));
      }
      verify("cluster", seed, recorder.history(), finals, faults, CLUSTER_REQUIRED);
    }
  }

  private static void inject(ProxiedCluster cluster, String kind, int node, Random random) {
    System.out.println("NemesisIT cluster: " + kind + " node " + (node + 1));
    switch (kind) {
      case "sigkill" -> {
        cluster.kill(node);
        ServerProcess.sleep(2000 + random.nextInt(4000));
      }
      case "sigstop" -> {
        cluster.pause(node);
        ServerProcess.sleep(2000 + random.nextInt(8000));
        cluster.resume(node);
      }
      case "partition" -> {
        cluster.isolate(node);
        ServerProcess.sleep(3000 + random.nextInt(10000));
        cluster.healLinks();
      }
      case "one-way-partition" -> {
        cluster.isolateInbound(node);
        ServerProcess.sleep(3000 + random.nextInt(10000));
        cluster.healLinks();
      }
      case "split-pair" -> {
        cluster.split(
            node, (node + 1 + random.nextInt(ProxiedCluster.NODES - 1)) % ProxiedCluster.NODES);
        ServerProcess.sleep(3000 + random.nextInt(10000));
        cluster.healLinks();
      }
      case "slow-links" -> {
        cluster.slow(node, 50 + random.nextInt(400));
        ServerProcess.sleep(3000 + random.nextInt(5000));
        cluster.healLinks();
      }
      case "s3proxy" -> {
        cluster.services().stopS3Proxy();
        ServerProcess.sleep(1000 + random.nextInt(3000));
        cluster.services().startS3Proxy();
      }
      case "cassandra" -> {
        cluster.services().stopCassandra();
        ServerProcess.sleep(1000 + random.nextInt(3000));
        cluster.services().startCassandra();
      }
      default -> throw new IllegalArgumentException(kind);
    }
  }

  private static void verify(
      String what,
      long seed,
      History history,
      Map<String, HistoryAudit.FinalRead> finals,
      Faults faults,
      List<String> required) {
    int appends = 0;
    int acked = 0;
    int indefinite = 0;
    int failed = 0;
    for (Operation operation : history.operations()) {
      if (operation.call() instanceof io.millrace.verification.Call.Append) {
        appends++;
        if (operation.outcome() instanceof Outcome.Acked) {
          acked++;
        }
      }
      if (operation.isIndefinite()) {
        indefinite++;
      }
      if (operation.outcome() instanceof Outcome.Failed) {
        failed++;
      }
    }
    long checkStart = System.nanoTime();
    CheckResult result = new LinearizabilityChecker().check(history);
    long checkMillis = (System.nanoTime() - checkStart) / 1_000_000;
    HistoryAudit.Report audit = HistoryAudit.audit(history, finals);
    long records = finals.values().stream().mapToLong(HistoryAudit.FinalRead::tail).sum();
    System.out.printf(
        "NemesisIT %s: seed %d, %d operations (%d appends, %d acked, %d indefinite, %d failed),"
            + " %d records in the streams, faults %s; checker: %s in %d ms; audit: %d lost acks,"
            + " %d duplicate seq nums, %d gaps%n",
        what,
        seed,
        history.operations().size(),
        appends,
        acked,
        indefinite,
        failed,
        records,
        faults,
        result,
        checkMillis,
        audit.lostAcks(),
        audit.duplicateSeqNums(),
        audit.gaps());
    assertThat(faults.kinds()).as("kinds of faults injected").containsAll(required);
    assertThat(acked)
        .as("acknowledged appends (a run that acks nothing checks nothing)")
        .isPositive();
    assertThat(audit.isClean())
        .as("audit of the %s run with seed %d: %s", what, seed, audit.streams())
        .isTrue();
    assertThat(result.isLinearizable())
        .as("linearizability of the %s run with seed %d:%n%s", what, seed, result)
        .isTrue();
  }
}
