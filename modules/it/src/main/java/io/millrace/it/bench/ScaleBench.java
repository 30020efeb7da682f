package io.millrace.it.bench;

import com.google.protobuf.ByteString;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;

/**
 * Many streams on one node (issue 12 item 5). Starts the built server jar with its default settings
 * on a fresh data dir (or measures {@code --endpoint URL}) and:
 *
 * <ol>
 *   <li>creates {@code --streams N} streams (default 100,000) with {@code --concurrency C} create
 *       requests in flight (default 64), reporting elapsed time, rate and create latency, and the
 *       server's RSS ({@code /proc/<pid>/status} VmRSS) and live heap (the total of {@code jcmd
 *       <pid> GC.class_histogram}, which runs a full GC) before and after;
 *   <li>lists all of them in pages of 1000;
 *   <li>appends one record of {@code --record-bytes} (default 128) to each of the first {@code
 *       --append-streams M} streams (default 10,000), round-robin with {@code --concurrency}
 *       appends in flight: one pass that activates every stream entity, then {@code --seconds S}
 *       (default 60) of round-robin appends, reporting ack latency p50/p99/p99.9/max, and memory
 *       after;
 *   <li>waits until the node's {@code millrace_stream_entities} gauge reaches 0 (every entity
 *       passivated; at most {@code --passivation-wait} seconds, default 300), reporting how long it
 *       took, the gauge and memory again.
 * </ol>
 *
 * <p>Options: {@code --jar PATH}, {@code --jvm-opts "-Xmx2g ..."} (default {@code -Xmx2g}), {@code
 * --server-opt -Dkey=value} (repeatable; e.g. {@code -Dmillrace.engine.passivation-idle-time=30s}).
 * With {@code --endpoint} memory is measured only if {@code --pid} names the server's process. See
 * docs/benchmarks.md, "Scale on one node".
 */
public final class ScaleBench {

  private ScaleBench() {}

  /** Runs the benchmark and prints Markdown tables. */
  public static void main(String[] args) throws Exception {
    String endpoint = null;
    long pid = -1;
    Path jar = ServerProcess.defaultJar();
    int streams = 100_000;
    int appendStreams = 10_000;
    int concurrency = 64;
    int seconds = 60;
    int recordBytes = 128;
    int passivationWait = 300;
    List<String> jvmOpts = new ArrayList<>(List.of("-Xmx2g"));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--endpoint" -> endpoint = args[++i];
        case "--pid" -> pid = Long.parseLong(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]);
        case "--streams" -> streams = Integer.parseInt(args[++i]);
        case "--append-streams" -> appendStreams = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--record-bytes" -> recordBytes = Integer.parseInt(args[++i]);
        case "--passivation-wait" -> passivationWait = Integer.parseInt(args[++i]);
        case "--jvm-opts" -> jvmOpts = new ArrayList<>(List.of(args[++i].trim().split("\\s+")));
        case "--server-opt" -> jvmOpts.add(args[++i]);
        default -> {
          System.err.println(
              "usage: ScaleBench [--endpoint URL [--pid PID] | --jar PATH] [--streams N]"
                  + " [--append-streams M] [--concurrency C] [--seconds S] [--record-bytes B]"
                  + " [--passivation-wait SECONDS] [--jvm-opts OPTS] [--server-opt -Dk=v]...");
          System.exit(2);
        }
      }
    }
    if (appendStreams > streams) {
      throw new IllegalArgumentException("--append-streams must not exceed --streams");
    }
    ServerProcess server = null;
    Path dataDir = null;
    URI base;
    String token = S2Client.tokenFromEnvironment();
    if (endpoint == null) {
      dataDir = Files.createTempDirectory("millrace-scale-");
      Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
      server = ServerProcess.start(jar, dataDir, ServerProcess.freePort(), log, jvmOpts);
      System.out.println("started " + jar + " " + jvmOpts + " (pid " + server.pid() + ")");
      System.out.println("data dir " + dataDir + ", server log " + log);
      base = server.baseUri();
      token = server.accessToken();
      pid = server.pid();
    } else {
      base = URI.create(endpoint);
    }
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    try {
      new ScaleBench.Run(new S2Client(base, http, token), pid, concurrency)
          .run(streams, appendStreams, seconds, recordBytes, passivationWait);
    } finally {
      if (server != null) {
        server.stop();
        ServerProcess.deleteTree(dataDir);
      }
    }
  }

  /** One run against one server. */
  private static final class Run {
    private final S2Client client;
    private final long pid;
    private final int concurrency;
    private final String basin = "scale-" + Long.toString(System.currentTimeMillis(), 36);
    private long baselineHeap = -1;
    private final Map<String, AtomicLong> errors = new ConcurrentSkipListMap<>();

    Run(S2Client client, long pid, int concurrency) {
      this.client = client;
      this.pid = pid;
      this.concurrency = concurrency;
    }

    void run(int streams, int appendStreams, int seconds, int recordBytes, int passivationWait)
        throws Exception {
      client.createBasin(basin, null);
      List<String> memory = new ArrayList<>();
      memory.add(memoryRow("before creating streams", 0));

      Histogram createLatency = new Histogram(60_000_000L, 3);
      long t0 = System.nanoTime();
      long created =
          inFlight(
              streams,
              i ->
                  client.jsonRequest(
                      "POST",
                      "/v1/streams",
                      basin,
                      "{\"stream\":\"" + streamName(i) + "\",\"config\":null}"),
              201,
              createLatency,
              null);
      double createSeconds = (System.nanoTime() - t0) / 1e9;
      memory.add(memoryRow("after creating " + created + " streams", created));

      t0 = System.nanoTime();
      long listed = listAll();
      double listSeconds = (System.nanoTime() - t0) / 1e9;
      if (listed != created) {
        System.out.println("listed " + listed + " streams, " + created + " were created (201)");
      }

      byte[] body = new byte[recordBytes];
      new Random(42).nextBytes(body);
      AppendInput one =
          AppendInput.newBuilder()
              .addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)))
              .build();
      IntFunction<HttpRequest> append =
          i -> client.appendProtoRequest(basin, streamName(i % appendStreams), one);
      Histogram firstLatency = new Histogram(60_000_000L, 3);
      t0 = System.nanoTime();
      long firstAppended = inFlight(appendStreams, append, 200, firstLatency, null);
      double firstSeconds = (System.nanoTime() - t0) / 1e9;
      long entitiesAfterFirst = metric("millrace_stream_entities");

      Histogram steadyLatency = new Histogram(60_000_000L, 3);
      t0 = System.nanoTime();
      long appended =
          inFlight(
              Integer.MAX_VALUE,
              append,
              200,
              steadyLatency,
              System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds));
      double steadySeconds = (System.nanoTime() - t0) / 1e9;
      long entitiesAfterAppends = metric("millrace_stream_entities");
      memory.add(
          memoryRow(
              "after appends to " + appendStreams + " streams (" + entitiesAfterAppends + " live)",
              created));

      t0 = System.nanoTime();
      long deadline = t0 + TimeUnit.SECONDS.toNanos(passivationWait);
      long live = entitiesAfterAppends;
      while (live > 0 && System.nanoTime() < deadline) {
        ServerProcess.sleep(1000);
        live = metric("millrace_stream_entities");
      }
      double passivationSeconds = (System.nanoTime() - t0) / 1e9;
      memory.add(memoryRow("after passivation (" + live + " live entities)", created));

      System.out.println();
      System.out.println("| phase | operations | seconds | ops/s | p50 | p99 | p99.9 | max |");
      System.out.println("|---|---|---|---|---|---|---|---|");
      row("create streams (" + concurrency + " in flight)", created, createSeconds, createLatency);
      System.out.printf(
          Locale.ROOT,
          "| list all streams (pages of 1000) | %d | %.2f | %.0f | | | | |%n",
          listed,
          listSeconds,
          listed / listSeconds);
      row(
          "first append to each of " + appendStreams + " streams (activation)",
          firstAppended,
          firstSeconds,
          firstLatency);
      row(
          "round-robin appends over " + appendStreams + " streams, 1 x " + recordBytes + " B",
          appended,
          steadySeconds,
          steadyLatency);
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "live stream entities: %d after the first pass, %d after the appends, %d after %.0f s"
              + " of waiting for passivation%n",
          entitiesAfterFirst,
          entitiesAfterAppends,
          live,
          passivationSeconds);
      System.out.println();
      System.out.println(
          errors.isEmpty() ? "no request failed" : "requests that failed (all phases):");
      errors.forEach((what, n) -> System.out.println("  " + n + " x " + what));
      System.out.println();
      System.out.println("| when | RSS | live heap | live heap growth per created stream |");
      System.out.println("|---|---|---|---|");
      memory.forEach(System.out::println);
    }

    /**
     * Sends {@code count} requests ({@code request.apply(i)} for i = 0, 1, ...) with {@link
     * #concurrency} in flight, until {@code count} are answered or {@code deadlineNanos} (if not
     * null) passes; records the latency of each answer with status {@code expected} in microseconds
     * and counts every other answer (by status, or the exception) in {@link #errors}. Returns how
     * many were answered {@code expected}.
     */
    private long inFlight(
        int count,
        IntFunction<HttpRequest> request,
        int expected,
        Histogram latency,
        Long deadlineNanos)
        throws InterruptedException {
      Semaphore slots = new Semaphore(concurrency);
      Recorder recorder = new Recorder(3);
      AtomicLong answered = new AtomicLong();
      for (int i = 0; i < count; i++) {
        if (deadlineNanos != null && System.nanoTime() > deadlineNanos) {
          break;
        }
        slots.acquire();
        long start = System.nanoTime();
        CompletableFuture<S2Client.Response> f = client.sendAsync(request.apply(i));
        f.whenComplete(
            (res, err) -> {
              if (err != null) {
                error(err.getClass().getSimpleName());
              } else if (res.status() != expected) {
                String text = res.text();
                error(res.status() + " " + text.substring(0, Math.min(160, text.length())));
              } else {
                recorder.recordValue((System.nanoTime() - start) / 1000);
                answered.incrementAndGet();
              }
              slots.release();
            });
      }
      slots.acquire(concurrency);
      latency.add(recorder.getIntervalHistogram());
      return answered.get();
    }

    private void error(String what) {
      errors.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    /** Lists every stream of the basin, 1000 per page; returns how many there were. */
    private long listAll() throws IOException {
      long total = 0;
      String startAfter = "";
      while (true) {
        S2Client.Response res =
            client.send(
                client
                    .request(
                        "/v1/streams?limit=1000&start_after="
                            + java.net.URLEncoder.encode(startAfter, StandardCharsets.UTF_8),
                        basin)
                    .GET()
                    .build());
        if (res.status() != 200) {
          throw new S2Client.UnexpectedStatus("list streams", res.status(), res.text());
        }
        var page = res.json();
        var items = page.get("streams");
        total += items.size();
        if (!page.get("has_more").asBoolean() || items.size() == 0) {
          return total;
        }
        startAfter = items.get(items.size() - 1).get("name").asText();
      }
    }

    /** A counter or gauge without labels from the server's {@code GET /metrics}, or -1. */
    private long metric(String name) throws IOException {
      String text = client.send(client.request("/metrics", null).GET().build()).text();
      for (String line : text.split("\n")) {
        if (line.startsWith(name + " ")) {
          return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
        }
      }
      return -1;
    }

    private String memoryRow(String when, long created) {
      if (pid < 0) {
        return "| " + when + " | (no --pid) | | |";
      }
      long rss = rssBytes(pid);
      long heap = liveHeapBytes(pid);
      if (baselineHeap < 0) {
        baselineHeap = heap;
      }
      return String.format(
          Locale.ROOT,
          "| %s | %.1f MiB | %.1f MiB | %s |",
          when,
          rss / 1048576.0,
          heap / 1048576.0,
          created == 0
              ? ""
              : String.format(Locale.ROOT, "%.0f B", (heap - baselineHeap) / (double) created));
    }
  }

  private static String streamName(int i) {
    return String.format(Locale.ROOT, "s-%07d", i);
  }

  private static void row(String what, long n, double seconds, Histogram h) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %.2f | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms |%n",
        what,
        n,
        seconds,
        n / seconds,
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0);
  }

  /** VmRSS of a process from {@code /proc/<pid>/status}, in bytes. */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/status", e);
    }
    throw new IllegalStateException("no VmRSS in /proc/" + pid + "/status");
  }

  /**
   * The live heap of a JVM: the total line of {@code jcmd <pid> GC.class_histogram} (which runs a
   * full GC first), in bytes.
   */
  static long liveHeapBytes(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p =
          new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(60, TimeUnit.SECONDS);
      for (String line : out.split("\n")) {
        if (line.startsWith("Total")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[parts.length - 1]);
        }
      }
      throw new IllegalStateException("no Total line from jcmd GC.class_histogram:\n" + out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + jcmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
