package io.millrace.it.cluster;

import static io.millrace.it.ServerProcess.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.metadata.cassandra.CassandraMetadataStore;
import io.millrace.metadata.cassandra.CassandraSettings;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.s3.S3ObjectStore;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;
import s2.v1.Header;
import s2.v1.ReadBatch;
import s2.v1.SequencedRecord;

/**
 * Three Millrace nodes (the built jar, each its own JVM) form a cluster over a real S3Proxy bucket
 * and a real Cassandra; the tests run in order on that one cluster, each leaving it as the next
 * expects:
 *
 * <ol>
 *   <li>an access token issued through one node is accepted by every node and refused outside its
 *       scope (403); once revoked through one node, every node refuses it (401) within seconds;
 *   <li>appends sent through every node to one stream land in one gapless order that every node
 *       reads back identically;
 *   <li>the node hosting a stream is killed with SIGKILL while a writer appends: the stream accepts
 *       appends again on the survivors (two nodes remain);
 *   <li>a fourth node joins while writers append to 16 streams: some streams move to it, and the
 *       longest pause between acks is printed;
 *   <li>a stream's host is stopped with SIGSTOP until the others have taken the stream over, then
 *       resumed: it acknowledges nothing its successor does not have (two nodes remain);
 *   <li>S3Proxy, then Cassandra, is stopped and started again while writers append: appends fail
 *       with retryable errors, {@code GET /health} answers 503, and appends succeed again by
 *       themselves;
 *   <li>the node running the lifecycle sweeper (a Cluster Singleton; sweeps every second here) is
 *       killed with SIGKILL in the middle of a sweep that deletes a backlog of expired segments:
 *       every retained record reads back identically from the survivors, and the next sweeper
 *       deletes the rest of the expired and trimmed segments, collects every WAL chunk and removes
 *       the dead node's channels (a third member joins first if only two remain).
 * </ol>
 *
 * <p>In every test every acknowledged record is read back, through every member, exactly once at
 * the seq num it was acknowledged with, and no seq num is acknowledged twice.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final String BASIN = "cluster-it";
  private static final int NODES = 3;
  private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(360);

  /**
   * Longest wait for a killed node's stream to accept appends again on a survivor (a few seconds
   * with the defaults; generous for a loaded machine, it is a wait limit, not a measurement).
   */
  private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(45);

  private static ClusterServices services;

  /** The root token every node is given (MILLRACE_ROOT_TOKEN). */
  private static final String ROOT_TOKEN =
      "cluster-it-root-" + java.util.UUID.randomUUID().toString().replace("-", "");

  /** Every node started, in start order (node N at index N - 1), whether or not it still runs. */
  private static final List<ClusterNode> nodes = new ArrayList<>();

  /** The client of each node, in the order of {@link #nodes}. */
  private static final List<S2Client> clients = new ArrayList<>();

  /** The nodes that are members of the cluster now (killed and downed nodes removed). */
  private static final List<ClusterNode> members = new CopyOnWriteArrayList<>();

  private static Path logDir;
  private static Path config;
  private static String seeds;

  @BeforeAll
  static void startCluster() throws IOException {
    services = ClusterServices.get();
    logDir = Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
    Files.createDirectories(logDir);
    config = logDir.resolve("cluster-node.conf");
    Files.writeString(
        config,
        // The server's failover defaults (failure detector, stable-after, removal margin, ask
        // timeout; docs/adr/0011) are what the failover and SIGSTOP cases measure.
        services.nodeConfig()
            // Shards move to a joining node within seconds rather than every 10 s.
            + "pekko.cluster.sharding.rebalance-interval = 2s\n"
            + "millrace.server.health-check-interval = 2s\n"
            // Lifecycle sweeps every second on every test (the last one kills the sweeper's node
            // mid-sweep); small, young segments so that test has a backlog to delete in seconds.
            + "millrace.engine.lifecycle.sweep-interval = 1s\n"
            + "millrace.engine.segments.flush-bytes = 16 KiB\n"
            + "millrace.engine.segments.flush-age = 5s\n"
            + "millrace.server.deletion-interval = 5s\n");
    int[] clusterPorts = new int[NODES];
    StringBuilder seedList = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = ServerProcess.freePort();
      seedList.append(i == 0 ? "" : ",").append("127.0.0.1:").append(clusterPorts[i]);
    }
    seeds = seedList.toString();
    for (int i = 0; i < NODES; i++) {
      launchNode(clusterPorts[i]);
    }
    for (ClusterNode n : nodes) {
      n.awaitReady(NODE_READY_TIMEOUT);
      members.add(n);
    }
    clients.get(0).createBasin(BASIN, null);
  }

  /** Starts the next node (joining through the seed nodes); returns at once. */
  private static ClusterNode launchNode(int clusterPort) {
    ClusterNode node =
        ClusterNode.launch(
            ServerProcess.defaultJar(),
            config,
            nodes.size() + 1,
            ServerProcess.freePort(),
            clusterPort,
            seeds,
            ROOT_TOKEN,
            logDir);
    nodes.add(node);
    clients.add(new S2Client(node.baseUri(), ROOT_TOKEN));
    return node;
  }

  /**
   * Launches one more node and waits until it is ready. A port the test picked as free can be taken
   * by another process's outgoing connection before the node binds it (the writers keep opening
   * connections meanwhile); such a start is retried with fresh ports, at most twice.
   */
  private static ClusterNode launchJoiningNode() {
    for (int attempt = 1; ; attempt++) {
      ClusterNode node = launchNode(ServerProcess.freePort());
      try {
        node.awaitReady(NODE_READY_TIMEOUT);
        return node;
      } catch (IllegalStateException e) {
        if (attempt >= 3 || !node.log().contains("Address already in use")) {
          throw e;
        }
        System.out.println("Node " + node.index + " lost a port to another process; retrying.");
        int i = nodes.indexOf(node);
        nodes.remove(i);
        clients.remove(i);
        node.close();
      }
    }
  }

  private static S2Client client(ClusterNode node) {
    return clients.get(nodes.indexOf(node));
  }

  @AfterAll
  static void stopCluster() {
    if (metadata != null) {
      metadata.close();
    }
    for (ClusterNode n : nodes) {
      n.resume();
      n.close();
    }
  }

  private static AppendInput one(String body) {
    return AppendInput.newBuilder()
        .addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body)))
        .build();
  }

  /**
   * Every record of the stream up to its tail, read through {@code client} in pages from seq num 0
   * (the stream has no writers by then).
   */
  private static List<SequencedRecord> readAll(S2Client client, String stream) throws IOException {
    long tail = client.checkTail(BASIN, stream).getSeqNum();
    List<SequencedRecord> all = new ArrayList<>();
    while (all.size() < tail) {
      ReadBatch batch = client.readProto(BASIN, stream, all.size(), 1000);
      assertThat(batch.getRecordsCount()).as("records read from %d", all.size()).isPositive();
      all.addAll(batch.getRecordsList());
    }
    return all;
  }

  private static void assertGaplessAndUnique(List<SequencedRecord> records) {
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i).getSeqNum()).as("seq num at position %d", i).isEqualTo(i);
    }
    assertThat(records.stream().map(r -> r.getBody().toStringUtf8()))
        .as("every record body appears once")
        .doesNotHaveDuplicates();
  }

  @Test
  @Order(0)
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void anAccessTokenIssuedOnOneNodeWorksOnEveryNodeAndItsRevocationOnOneIsHonouredByTheOthers()
      throws Exception {
    S2Client.Response issued =
        clients
            .get(0)
            .send(
                clients
                    .get(0)
                    .jsonRequest(
                        "POST",
                        "/v1/access-tokens",
                        null,
                        "{\"id\":\"cluster-reader\",\"scope\":{\"basins\":{\"prefix\":\"\"},"
                            + "\"ops\":[\"list-basins\"]}}"));
    assertThat(issued.status()).as(issued.text()).isEqualTo(201);
    String secret = issued.json().get("access_token").asText();
    List<S2Client> readers = new ArrayList<>();
    for (ClusterNode n : members) {
      readers.add(new S2Client(n.baseUri(), secret));
    }
    for (S2Client reader : readers) {
      S2Client.Response list = reader.send(reader.request("/v1/basins", null).GET().build());
      assertThat(list.status()).as(list.text()).isEqualTo(200);
      S2Client.Response create =
          reader.send(
              reader.jsonRequest("POST", "/v1/basins", null, "{\"basin\":\"not-allowed-1\"}"));
      assertThat(create.status()).as(create.text()).isEqualTo(403);
      assertThat(create.json().get("code").asText()).isEqualTo("permission_denied");
    }

    S2Client.Response revoked =
        clients
            .get(0)
            .send(
                clients.get(0).request("/v1/access-tokens/cluster-reader", null).DELETE().build());
    assertThat(revoked.status()).as(revoked.text()).isEqualTo(204);
    long revokedAt = System.nanoTime();
    // Every other node refuses the token within its verification cache's lifetime (5 s).
    for (S2Client reader : readers) {
      await("the revoked token is refused")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> reader.send(reader.request("/v1/basins", null).GET().build()).status() == 401);
    }
    System.out.printf(
        "ClusterIT: a revoked token was refused by every node %d ms after the revocation%n",
        (System.nanoTime() - revokedAt) / 1_000_000);
  }

  @Test
  @Order(1)
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void appendsThroughEveryNodeToOneStreamLandInOneGaplessOrderReadIdenticallyFromEveryNode()
      throws Exception {
    String stream = "orders";
    clients.get(1).createStream(BASIN, stream, null);
    int perNode = 40;
    Map<String, Long> acked = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(NODES);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int n = 0; n < NODES; n++) {
        S2Client client = clients.get(n);
        int node = n + 1;
        writers.add(
            pool.submit(
                () -> {
                  for (int k = 0; k < perNode; k++) {
                    String body = "node-" + node + "-" + k;
                    AppendAck ack = client.appendProto(BASIN, stream, one(body));
                    acked.put(body, ack.getStart().getSeqNum());
                  }
                  return null;
                }));
      }
      for (Future<?> w : writers) {
        w.get(90, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(acked).hasSize(NODES * perNode);
    List<SequencedRecord> first = readAll(clients.get(0), stream);
    assertThat(first).hasSize(NODES * perNode);
    assertGaplessAndUnique(first);
    for (Map.Entry<String, Long> e : acked.entrySet()) {
      assertThat(first.get(e.getValue().intValue()).getBody().toStringUtf8())
          .as("record acknowledged at seq num %d", e.getValue())
          .isEqualTo(e.getKey());
    }
    for (int n = 1; n < NODES; n++) {
      assertThat(readAll(clients.get(n), stream))
          .as("records read through node %d", n + 1)
          .isEqualTo(first);
      assertThat(clients.get(n).checkTail(BASIN, stream).getSeqNum()).isEqualTo(first.size());
    }
  }

  /**
   * One append attempt: the record body sent, when it was sent and answered, and the seq num it was
   * acknowledged with, or else the HTTP status (-1: no answer) and the error.
   */
  private record Attempt(
      String body, long sentNanos, long doneNanos, Long seqNum, int status, String error) {
    static Attempt of(String body, long sentNanos, Callable<AppendAck> append) {
      try {
        AppendAck ack = append.call();
        return new Attempt(
            body, sentNanos, System.nanoTime(), ack.getStart().getSeqNum(), 200, null);
      } catch (S2Client.UnexpectedStatus e) {
        return new Attempt(body, sentNanos, System.nanoTime(), null, e.status(), e.getMessage());
      } catch (Exception e) {
        return new Attempt(body, sentNanos, System.nanoTime(), null, -1, e.toString());
      }
    }

    boolean acked() {
      return seqNum != null;
    }
  }

  @Test
  @Order(2)
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aStreamWhoseNodeIsKilledAcceptsAppendsOnTheSurvivorsAndKeepsEveryAcknowledgedRecord()
      throws Exception {
    String stream = "failover";
    clients.get(0).createStream(BASIN, stream, null);
    long warmUpSeq =
        clients.get(0).appendProto(BASIN, stream, one("warm-up")).getStart().getSeqNum();
    ClusterNode host = hostOf(stream);
    ClusterNode entry = members.stream().filter(n -> n != host).findFirst().orElseThrow();
    S2Client writerClient = client(entry);
    System.out.printf(
        "Failover test: stream %s is hosted by node %d; the writer appends through node %d.%n",
        stream, host.index, entry.index);

    List<Attempt> attempts = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    long[] killedAt = {0};
    Thread writer =
        new Thread(
            () -> {
              for (int k = 0; !stop.get(); k++) {
                String body = "c-" + k;
                Attempt a =
                    Attempt.of(
                        body,
                        System.nanoTime(),
                        () -> writerClient.appendProto(BASIN, stream, one(body)));
                attempts.add(a);
                if (!a.acked()) {
                  sleep(100);
                }
              }
            },
            "failover-writer");
    writer.start();
    try {
      sleep(3000);
      killedAt[0] = System.nanoTime();
      host.kill();
      members.remove(host);
      long deadline = killedAt[0] + FAILOVER_LIMIT.toNanos();
      while (successesAfter(attempts, killedAt[0]) < 20 && System.nanoTime() < deadline) {
        sleep(100);
      }
    } finally {
      stop.set(true);
      writer.join(60_000);
    }

    List<Attempt> after =
        attempts.stream().filter(a -> a.seqNum() != null && a.sentNanos() > killedAt[0]).toList();
    assertThat(after)
        .as(
            "appends through node %d after node %d was killed (failures: %s)%nnode %d log:%n%s",
            entry.index,
            host.index,
            attempts.stream().filter(a -> a.error() != null).map(Attempt::error).toList(),
            entry.index,
            entry.logTail())
        .hasSizeGreaterThanOrEqualTo(20);
    long failoverMillis = (after.get(0).doneNanos() - killedAt[0]) / 1_000_000;
    long failed = attempts.stream().filter(a -> a.error() != null).count();
    System.out.printf(
        "Failover: stream %s accepted appends again through node %d %d ms after node %d was"
            + " killed (%d appends acknowledged, %d failed or unknown).%n",
        stream, entry.index, failoverMillis, host.index, attempts.size() - failed, failed);

    Map<String, Long> acked = new HashMap<>();
    acked.put("warm-up", warmUpSeq);
    for (Attempt a : attempts) {
      if (a.seqNum() != null) {
        acked.put(a.body(), a.seqNum());
      }
    }
    for (ClusterNode survivor : members) {
      List<SequencedRecord> records = readAll(client(survivor), stream);
      assertGaplessAndUnique(records);
      for (Map.Entry<String, Long> e : acked.entrySet()) {
        assertThat(e.getValue()).as("seq num of %s", e.getKey()).isLessThan(records.size());
        assertThat(records.get(e.getValue().intValue()).getBody().toStringUtf8())
            .as(
                "record acknowledged at seq num %d, read through node %d",
                e.getValue(), survivor.index)
            .isEqualTo(e.getKey());
      }
    }
  }

  /**
   * Appends one record at a time to one stream until stopped, each through the next of {@code via}
   * (which may grow while it runs), and keeps every attempt. After a failure it waits 100 ms.
   */
  private static final class Writer {
    final String stream;
    final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final List<S2Client> via;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Writer(String stream, List<S2Client> via) {
      this.stream = stream;
      this.via = via;
      this.thread = new Thread(this::run, "writer-" + stream);
    }

    Writer start() {
      thread.start();
      return this;
    }

    private void run() {
      for (int k = 0; !stop.get(); k++) {
        S2Client c = via.get(k % via.size());
        String body = stream + "-" + k;
        Attempt a =
            Attempt.of(body, System.nanoTime(), () -> c.appendProto(BASIN, stream, one(body)));
        attempts.add(a);
        if (!a.acked()) {
          sleep(100);
        }
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join(60_000);
      assertThat(thread.isAlive()).as("writer of %s stopped", stream).isFalse();
    }

    long ackedSentAfter(long nanos) {
      return attempts.stream().filter(a -> a.acked() && a.sentNanos() > nanos).count();
    }

    /**
     * The longest time between two consecutive acknowledgements (in answer order) among those
     * answered after {@code from}, counting from the last one before it.
     */
    long longestAckGapMillis(long from) {
      List<Long> done =
          attempts.stream().filter(Attempt::acked).map(Attempt::doneNanos).sorted().toList();
      long longest = 0;
      for (int i = 1; i < done.size(); i++) {
        if (done.get(i) > from) {
          longest = Math.max(longest, done.get(i) - done.get(i - 1));
        }
      }
      return longest / 1_000_000;
    }
  }

  /**
   * Reads {@code stream} back through every member and checks that it is gapless, that no body
   * appears twice, and that every acknowledged record is at the seq num it was acknowledged with;
   * and that no seq num was acknowledged twice. Returns the number of records.
   */
  private static int assertEveryAckIsInTheStream(String stream, List<Attempt> attempts)
      throws IOException {
    Map<Long, String> bySeq = new HashMap<>();
    for (Attempt a : attempts) {
      if (a.acked()) {
        String earlier = bySeq.put(a.seqNum(), a.body());
        assertThat(earlier)
            .as(
                "seq num %d of %s acknowledged for %s and %s",
                a.seqNum(), stream, earlier, a.body())
            .isNull();
      }
    }
    List<SequencedRecord> first = null;
    for (ClusterNode member : members) {
      List<SequencedRecord> records = readAll(client(member), stream);
      assertGaplessAndUnique(records);
      for (Map.Entry<Long, String> e : bySeq.entrySet()) {
        assertThat(e.getKey())
            .as("acknowledged seq num of %s within the tail of %s", e.getValue(), stream)
            .isLessThan(records.size());
        assertThat(records.get(e.getKey().intValue()).getBody().toStringUtf8())
            .as(
                "record of %s acknowledged at seq num %d, read through node %d",
                stream, e.getKey(), member.index)
            .isEqualTo(e.getValue());
      }
      if (first == null) {
        first = records;
      } else {
        assertThat(records).as("%s read through node %d", stream, member.index).isEqualTo(first);
      }
    }
    return first == null ? 0 : first.size();
  }

  private static long percentile(List<Long> values, double p) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
  }

  @Test
  @Order(3)
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aJoiningNodeTakesOverStreamsWhileWritersAppendAndNoAcknowledgedRecordIsLostOrDuplicated()
      throws Exception {
    assertThat(members).as("members before the new node joins").hasSize(2);
    int streamCount = 16;
    List<S2Client> via =
        new CopyOnWriteArrayList<>(members.stream().map(ClusterIT::client).toList());
    List<Writer> writers = new ArrayList<>();
    for (int i = 0; i < streamCount; i++) {
      String stream = "rebalance-" + i;
      via.get(i % via.size()).createStream(BASIN, stream, null);
      writers.add(new Writer(stream, via).start());
    }
    ClusterNode joined;
    long joinAt;
    long joinAtWallMillis;
    Set<String> moved = new TreeSet<>();
    try {
      await("every writer's first ack")
          .atMost(Duration.ofSeconds(60))
          .until(() -> writers.stream().allMatch(w -> w.ackedSentAfter(0) > 0));
      sleep(2000);
      joinAtWallMillis = System.currentTimeMillis();
      joinAt = System.nanoTime();
      joined = launchJoiningNode();
      members.add(joined);
      via.add(client(joined));
      long readyMillis = (System.nanoTime() - joinAt) / 1_000_000;
      await("a stream hosted by the joined node " + joined.index)
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> hostedBy(writers, joined, moved));
      long firstMoveMillis = (System.nanoTime() - joinAt) / 1_000_000;
      // Let further rebalancing rounds (every 2 s) happen under load.
      sleep(5000);
      hostedBy(writers, joined, moved);
      System.out.printf(
          "Rebalance: node %d was ready %d ms after it was started; the first stream was hosted"
              + " on it %d ms after the start.%n",
          joined.index, readyMillis, firstMoveMillis);
    } finally {
      for (Writer w : writers) {
        w.stop();
      }
    }

    List<Long> movedPauses = new ArrayList<>();
    List<Long> otherPauses = new ArrayList<>();
    long acked = 0;
    long failed = 0;
    for (Writer w : writers) {
      (moved.contains(w.stream) ? movedPauses : otherPauses).add(w.longestAckGapMillis(joinAt));
      acked += w.attempts.stream().filter(Attempt::acked).count();
      failed += w.attempts.stream().filter(a -> !a.acked()).count();
    }
    System.out.printf(
        "Rebalance: %d of %d streams moved to node %d (%s); longest pause between acks per moved"
            + " stream: max %d ms, p50 %d ms; streams that did not move: max %d ms, p50 %d ms;"
            + " %d appends acknowledged, %d failed.%n",
        moved.size(),
        streamCount,
        joined.index,
        moved,
        movedPauses.isEmpty() ? 0 : percentile(movedPauses, 1.0),
        movedPauses.isEmpty() ? 0 : percentile(movedPauses, 0.5),
        otherPauses.isEmpty() ? 0 : percentile(otherPauses, 1.0),
        otherPauses.isEmpty() ? 0 : percentile(otherPauses, 0.5),
        acked,
        failed);
    printHandOffs("Rebalance", joinAtWallMillis);
    assertThat(moved).as("streams hosted by the joined node %d", joined.index).isNotEmpty();
    for (Writer w : writers) {
      assertThat(w.ackedSentAfter(joinAt))
          .as("appends to %s acknowledged after node %d started", w.stream, joined.index)
          .isPositive();
      assertEveryAckIsInTheStream(w.stream, w.attempts);
    }
  }

  private static final Pattern STOPPED =
      Pattern.compile(
          "Stream (\\S+) stopped gracefully at seq num \\d+ after draining (\\d+) ms, at (\\d+) ms");
  private static final Pattern FIRST_APPEND =
      Pattern.compile(
          "Stream (\\S+) acknowledged the first append of its activation .*: (\\d+) ms after the"
              + " activation began \\(recovery (\\d+) ms\\), at (\\d+) ms");

  /**
   * Prints the server-side hand-offs since {@code sinceMillis} (wall clock) from the nodes' INFO
   * lines (docs/adr/0012): for each stream that stopped gracefully on one node, the time from that
   * stop to the first append that became durable on its next owner, with the old owner's drain time
   * and the new owner's recovery time.
   */
  private static void printHandOffs(String label, long sinceMillis) {
    Map<String, List<long[]>> stops = new HashMap<>();
    Map<String, List<long[]>> firsts = new HashMap<>();
    for (ClusterNode n : nodes) {
      for (String line : n.log().split("\n")) {
        Matcher m = STOPPED.matcher(line);
        if (m.find() && Long.parseLong(m.group(3)) >= sinceMillis) {
          stops
              .computeIfAbsent(m.group(1), k -> new ArrayList<>())
              .add(new long[] {Long.parseLong(m.group(3)), Long.parseLong(m.group(2))});
        }
        m = FIRST_APPEND.matcher(line);
        if (m.find() && Long.parseLong(m.group(4)) >= sinceMillis) {
          firsts
              .computeIfAbsent(m.group(1), k -> new ArrayList<>())
              .add(
                  new long[] {
                    Long.parseLong(m.group(4)),
                    Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3))
                  });
        }
      }
    }
    List<Long> pauses = new ArrayList<>();
    List<Long> drains = new ArrayList<>();
    List<Long> recoveries = new ArrayList<>();
    for (Map.Entry<String, List<long[]>> e : stops.entrySet()) {
      for (long[] stop : e.getValue()) {
        firsts.getOrDefault(e.getKey(), List.of()).stream()
            .filter(f -> f[0] >= stop[0])
            .min((a, b) -> Long.compare(a[0], b[0]))
            .ifPresent(
                f -> {
                  pauses.add(f[0] - stop[0]);
                  drains.add(stop[1]);
                  recoveries.add(f[2]);
                });
      }
    }
    if (pauses.isEmpty()) {
      System.out.printf("%s: no hand-off found in the node logs.%n", label);
      return;
    }
    System.out.printf(
        "%s: %d hand-offs in the node logs; stream stopped on the old owner -> first durable"
            + " append on the new owner: max %d ms, p50 %d ms; old owner's drain: max %d ms;"
            + " new owner's recovery: max %d ms, p50 %d ms.%n",
        label,
        pauses.size(),
        percentile(pauses, 1.0),
        percentile(pauses, 0.5),
        percentile(drains, 1.0),
        percentile(recoveries, 1.0),
        percentile(recoveries, 0.5));
  }

  /** Adds the writers' streams hosted by {@code node} now to {@code moved}; true if any is. */
  private static boolean hostedBy(List<Writer> writers, ClusterNode node, Set<String> moved) {
    for (Writer w : writers) {
      if (hostOf(w.stream) == node) {
        moved.add(w.stream);
      }
    }
    return !moved.isEmpty();
  }

  @Test
  @Order(4)
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aNodePausedPastFailureDetectionAndResumedNeverAcknowledgesAnAppendItsSuccessorDoesNotHave()
      throws Exception {
    assertThat(members).as("members before the pause").hasSize(3);
    String stream = "paused";
    Attempt warmUp = createWithWarmUp(stream);
    ClusterNode paused = hostOf(stream);
    List<ClusterNode> others = members.stream().filter(n -> n != paused).toList();
    System.out.printf(
        "Pause test: stream %s is hosted by node %d (pid %d); the other writer appends through"
            + " nodes %s.%n",
        stream, paused.index, paused.pid(), others.stream().map(n -> n.index).toList());

    // Through the paused node: one request every 500 ms without waiting for the answer, each
    // allowed 240 s, so every answer it gives after it resumes is collected.
    S2Client direct = client(paused);
    List<CompletableFuture<Attempt>> directAttempts = new CopyOnWriteArrayList<>();
    AtomicBoolean stopDirect = new AtomicBoolean();
    Thread directWriter =
        new Thread(
            () -> {
              for (int k = 0; !stopDirect.get(); k++) {
                String body = "direct-" + k;
                long sent = System.nanoTime();
                HttpRequest request =
                    HttpRequest.newBuilder(
                            direct.appendProtoRequest(BASIN, stream, one(body)), (n, v) -> true)
                        .timeout(Duration.ofSeconds(240))
                        .build();
                directAttempts.add(
                    direct
                        .sendAsync(request)
                        .handle(
                            (res, err) ->
                                Attempt.of(
                                    body,
                                    sent,
                                    () -> {
                                      if (err != null) {
                                        throw new IOException(err);
                                      }
                                      return S2Client.parseAck(res, "append " + body);
                                    })));
                sleep(500);
              }
            },
            "direct-writer");
    Writer survivors =
        new Writer(
            stream, new CopyOnWriteArrayList<>(others.stream().map(ClusterIT::client).toList()));
    directWriter.start();
    survivors.start();
    long pausedAt;
    long resumedAt;
    try {
      sleep(3000);
      pausedAt = System.nanoTime();
      paused.pause();
      members.remove(paused);
      await("appends through the other nodes while node " + paused.index + " is stopped")
          .atMost(Duration.ofSeconds(120))
          .until(() -> survivors.ackedSentAfter(pausedAt) >= 10);
      long takeoverMillis =
          survivors.attempts.stream()
                  .filter(a -> a.acked() && a.sentNanos() > pausedAt)
                  .mapToLong(Attempt::doneNanos)
                  .min()
                  .orElseThrow()
              - pausedAt;
      System.out.printf(
          "Pause test: the stream accepted appends through the other nodes %d ms after node %d"
              + " was stopped.%n",
          takeoverMillis / 1_000_000, paused.index);
      resumedAt = System.nanoTime();
      paused.resume();
      sleep(10_000);
    } finally {
      paused.resume();
      stopDirect.set(true);
      directWriter.join(10_000);
      survivors.stop();
    }
    List<Attempt> directResults = new ArrayList<>();
    for (CompletableFuture<Attempt> f : directAttempts) {
      directResults.add(f.get(300, TimeUnit.SECONDS));
    }
    Integer exit = paused.awaitExit(Duration.ofSeconds(30));
    int health = exit == null ? paused.health() : -1;
    long directAcked = directResults.stream().filter(Attempt::acked).count();
    long directAckedAfterPause =
        directResults.stream().filter(a -> a.acked() && a.doneNanos() > pausedAt).count();
    Map<String, Long> directFailures = new TreeMap<>();
    for (Attempt a : directResults) {
      if (!a.acked() && a.sentNanos() > pausedAt) {
        directFailures.merge(a.status() + " " + errorCode(a), 1L, Long::sum);
      }
    }
    System.out.printf(
        "Pause test: through node %d %d appends were sent, %d acknowledged (%d answered after the"
            + " pause began); failures after the pause: %s. Node %d after resuming: %s.%n",
        paused.index,
        directResults.size(),
        directAcked,
        directAckedAfterPause,
        directFailures,
        paused.index,
        exit != null
            ? "exited with status " + exit
            : "still running 40 s after SIGCONT, GET /health answers " + health);
    List<Attempt> all = new ArrayList<>(survivors.attempts);
    all.addAll(directResults);
    all.add(warmUp);
    int records = assertEveryAckIsInTheStream(stream, all);
    System.out.printf(
        "Pause test: %d records in %s; %d acknowledged through the other nodes.%n",
        records, stream, survivors.attempts.stream().filter(Attempt::acked).count());
    assertThat(survivors.ackedSentAfter(resumedAt))
        .as("appends through the other nodes acknowledged after node %d resumed", paused.index)
        .isPositive();
    if (exit == null) {
      paused.close();
    }
  }

  @Test
  @Order(5)
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void anObjectStoreRestartFailsAppendsWithRetryableErrorsUntilItIsBackAndLosesNothingAcknowledged()
      throws Exception {
    serviceRestartMidRun(
        "S3Proxy", "s3-outage-", true, services::stopS3Proxy, services::startS3Proxy);
  }

  @Test
  @Order(6)
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aMetadataStoreRestartFailsAppendsOnlyWithRetryableErrorsAndLosesNothingAcknowledged()
      throws Exception {
    serviceRestartMidRun(
        "Cassandra", "cassandra-outage-", false, services::stopCassandra, services::startCassandra);
  }

  /**
   * Writers append to four streams through every member; the service is stopped until every member
   * has noticed (4 to 15 s) and started again on the same port over the same data. Every failed
   * append must have failed with a retryable status and an S2 error code, within the client's
   * request timeout; every member's {@code GET /health} answers 503 while the service is down and
   * 200 again afterwards; appends are acknowledged again by themselves; nothing acknowledged is
   * lost. With {@code mustFail}, appends sent while it is down must fail (every append writes to
   * the object store; steady appends need no metadata write, so Cassandra's absence may go
   * unnoticed by some).
   */
  private static void serviceRestartMidRun(
      String service, String prefix, boolean mustFail, Runnable stopService, Runnable startService)
      throws Exception {
    List<S2Client> via =
        new CopyOnWriteArrayList<>(members.stream().map(ClusterIT::client).toList());
    List<Writer> writers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String stream = prefix + i;
      via.get(i % via.size()).createStream(BASIN, stream, null);
      writers.add(new Writer(stream, via).start());
    }
    long stoppedAt;
    long startedAt;
    long backAt;
    Map<Integer, Integer> healthDuringOutage = new ConcurrentHashMap<>();
    try {
      await("every writer's first ack")
          .atMost(Duration.ofSeconds(60))
          .until(() -> writers.stream().allMatch(w -> w.ackedSentAfter(0) > 0));
      sleep(2000);
      stoppedAt = System.nanoTime();
      stopService.run();
      // Down until every member has noticed (its health check runs every 2 s) and for at least
      // 4 s, at most 15 s.
      long minEnd = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      long maxEnd = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (System.nanoTime() < maxEnd
          && (System.nanoTime() < minEnd || healthDuringOutage.size() < members.size())) {
        for (ClusterNode m : members) {
          int status = m.health();
          if (status != 200) {
            healthDuringOutage.put(m.index, status);
          }
        }
        sleep(500);
      }
      startedAt = System.nanoTime();
      startService.run();
      backAt = System.nanoTime();
      await("appends acknowledged again after " + service + " is back")
          .atMost(Duration.ofSeconds(150))
          .until(() -> writers.stream().allMatch(w -> w.ackedSentAfter(backAt) >= 5));
      await("every member ready again")
          .atMost(Duration.ofSeconds(60))
          .until(() -> members.stream().allMatch(m -> m.health() == 200));
    } finally {
      for (Writer w : writers) {
        w.stop();
      }
    }

    Map<String, Long> failuresByStatus = new TreeMap<>();
    long longestFailureMillis = 0;
    long firstAckAfterBack = Long.MAX_VALUE;
    for (Writer w : writers) {
      for (Attempt a : w.attempts) {
        if (!a.acked()) {
          failuresByStatus.merge(a.status() + " " + errorCode(a), 1L, Long::sum);
          longestFailureMillis =
              Math.max(longestFailureMillis, (a.doneNanos() - a.sentNanos()) / 1_000_000);
        } else if (a.sentNanos() > backAt) {
          firstAckAfterBack = Math.min(firstAckAfterBack, a.doneNanos());
        }
      }
    }
    long acked = writers.stream().mapToLong(w -> w.ackedSentAfter(0)).sum();
    System.out.printf(
        "%s restart: stopped for %d ms, then %d ms to start; appends acknowledged: %d; failed"
            + " appends by HTTP status and code: %s (longest failure answered in %d ms);"
            + " /health of the members while it was stopped: %s; first append acknowledged %d ms"
            + " after it was back.%n",
        service,
        (startedAt - stoppedAt) / 1_000_000,
        (backAt - startedAt) / 1_000_000,
        acked,
        failuresByStatus,
        longestFailureMillis,
        healthDuringOutage,
        (firstAckAfterBack - backAt) / 1_000_000);
    List<Attempt> failures =
        writers.stream().flatMap(w -> w.attempts.stream()).filter(a -> !a.acked()).toList();
    if (mustFail) {
      assertThat(failures).as("appends that failed while %s was stopped", service).isNotEmpty();
    }
    for (Attempt a : failures) {
      assertThat(a.status())
          .as("status of a failed append (retryable): %s", a.error())
          .isIn(408, 500, 502, 503, 504);
      assertThat(a.error()).as("an S2 error code in the body").contains("\"code\"");
    }
    assertThat(healthDuringOutage)
        .as("GET /health answers of the members while %s was stopped", service)
        .hasSize(members.size())
        .allSatisfy((node, status) -> assertThat(status).isEqualTo(503));
    for (Writer w : writers) {
      assertEveryAckIsInTheStream(w.stream, w.attempts);
    }
  }

  /**
   * The S2 error code and message of a failed attempt (from its JSON body), or the exception's
   * class if there was no answer.
   */
  private static String errorCode(Attempt a) {
    Matcher m =
        Pattern.compile("\"code\":\"([^\"]*)\",\"message\":\"([^\"]*)\"").matcher(a.error());
    if (m.find()) {
      return m.group(1) + " (" + m.group(2) + ")";
    }
    return a.error().replaceAll("^([^:]*).*", "$1").replaceAll(".*[.$]", "");
  }

  private static long successesAfter(List<Attempt> attempts, long since) {
    return attempts.stream().filter(a -> a.seqNum() != null && a.sentNanos() > since).count();
  }

  private static CassandraMetadataStore metadata;

  /** The test's own connection to the cluster's Cassandra metadata, opened on first use. */
  private static synchronized CassandraMetadataStore metadata() {
    if (metadata == null) {
      metadata = CassandraMetadataStore.open(CassandraSettings.local(services.cassandraPort));
    }
    return metadata;
  }

  /**
   * Creates {@code stream} through the first member and appends one record to it (so the stream has
   * a host); returns that acknowledged append.
   */
  private static Attempt createWithWarmUp(String stream) throws IOException {
    client(members.get(0)).createStream(BASIN, stream, null);
    Attempt warmUp =
        Attempt.of(
            "warm-up",
            System.nanoTime(),
            () -> client(members.get(0)).appendProto(BASIN, stream, one("warm-up")));
    assertThat(warmUp.error()).as("warm-up append").isNull();
    return warmUp;
  }

  /** The node whose channel the stream's latest streamlet uses (from the Cassandra metadata). */
  private static ClusterNode hostOf(String stream) {
    try {
      StreamRecord s =
          metadata()
              .getStream(BASIN, stream)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              .orElseThrow();
      List<StreamletRecord> streamlets =
          metadata().listStreamlets(s.streamId()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(streamlets).as("streamlets of %s", stream).isNotEmpty();
      String channelId = streamlets.get(streamlets.size() - 1).channelId();
      List<ChannelRecord> channels =
          metadata().listChannels().toCompletableFuture().get(30, TimeUnit.SECONDS);
      String node =
          channels.stream()
              .filter(c -> c.channelId().equals(channelId))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no channel row " + channelId))
              .node();
      return nodes.stream()
          .filter(n -> n.clusterAddress().equals(node))
          .findFirst()
          .orElseThrow(
              () -> new AssertionError("channel " + channelId + " is on unknown node " + node));
    } catch (Exception e) {
      throw new AssertionError("could not find the node hosting " + stream + ": " + e, e);
    }
  }

  // --- Order 7: the lifecycle sweeper's node is killed in the middle of a sweep ---------------

  /** Appends per stream of the sweep test; each append is one segment (segments.flush-bytes). */
  private static final int SWEEP_APPENDS = 40;

  private static final int SWEEP_RECORDS_PER_APPEND = 20;
  private static final int SWEEP_RECORD_BYTES = 1024;

  private static final java.net.http.HttpClient METRICS_CLIENT =
      java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  /** One acknowledged record of the sweep test. */
  private record Acked(long seqNum, long timestamp, ByteString body) {}

  /** A stream of the sweep test: its records as acknowledged and its segments before the kill. */
  private static final class SweepStream {
    final String name;
    final List<Acked> acked = new CopyOnWriteArrayList<>();
    String streamId;
    long tail;

    /** Records below this seq num are expired or trimmed once the test has made them so. */
    long firstKept;

    List<SegmentRecord> segments = List.of();

    SweepStream(String name) {
      this.name = name;
    }

    /** The segments that lie wholly below {@link #firstKept} (the sweeps must delete them). */
    List<SegmentRecord> doomed() {
      return segments.stream().filter(s -> s.lastSeqNum() < firstKept).toList();
    }

    List<SegmentRecord> kept() {
      return segments.stream().filter(s -> s.lastSeqNum() >= firstKept).toList();
    }
  }

  /**
   * Appends {@code records} (each with a client timestamp) to {@code s} through {@code via} on the
   * condition that the tail is where the test left it (match_seq_num), and keeps them. On the
   * loaded machine an append can time out and still land ("it may have become durable"): it is
   * retried with the same condition, and a retry refused because the tail moved by exactly this
   * batch means the earlier attempt landed.
   */
  private static void appendAndKeep(S2Client via, SweepStream s, List<AppendRecord> records)
      throws IOException {
    AppendInput.Builder in = AppendInput.newBuilder().setMatchSeqNum(s.tail);
    records.forEach(in::addRecords);
    AppendInput input = in.build();
    long start = -1;
    for (int attempt = 1; start < 0; attempt++) {
      try {
        AppendAck ack = via.appendProto(BASIN, s.name, input);
        start = ack.getStart().getSeqNum();
        assertThat(ack.getEnd().getSeqNum()).isEqualTo(start + records.size());
      } catch (S2Client.UnexpectedStatus | IOException e) {
        int status = e instanceof S2Client.UnexpectedStatus u ? u.status() : -1;
        if (status == 412 && attempt > 1) {
          long tail = via.checkTail(BASIN, s.name).getSeqNum();
          assertThat(tail)
              .as("tail of %s after a refused retry", s.name)
              .isEqualTo(s.tail + records.size());
          start = s.tail;
        } else if (attempt >= 6 || !(status == -1 || status >= 500)) {
          throw e;
        } else {
          sleep(500);
        }
      }
    }
    assertThat(start).as("start of the append to %s", s.name).isEqualTo(s.tail);
    long seq = start;
    for (AppendRecord r : records) {
      s.acked.add(new Acked(seq++, r.getTimestamp(), r.getBody()));
    }
    s.tail = seq;
  }

  /** One append's worth of records of {@code s}, all with the client timestamp {@code ts}. */
  private static List<AppendRecord> batch(SweepStream s, int k, long ts) {
    List<AppendRecord> out = new ArrayList<>();
    for (int i = 0; i < SWEEP_RECORDS_PER_APPEND; i++) {
      String head = s.name + "/" + k + "/" + i + "/";
      StringBuilder b = new StringBuilder(head);
      while (b.length() < SWEEP_RECORD_BYTES) {
        b.append((char) ('a' + (b.length() * 7 + k + i) % 26));
      }
      out.add(
          AppendRecord.newBuilder()
              .setTimestamp(ts)
              .setBody(ByteString.copyFromUtf8(b.toString()))
              .build());
    }
    return out;
  }

  /** The trim command record (spec: header ("", "trim"), body the 8-byte big-endian trim point). */
  private static AppendRecord trimRecord(long trimPoint) {
    return AppendRecord.newBuilder()
        .setTimestamp(System.currentTimeMillis())
        .addHeaders(
            Header.newBuilder().setName(ByteString.EMPTY).setValue(ByteString.copyFromUtf8("trim")))
        .setBody(ByteString.copyFrom(java.nio.ByteBuffer.allocate(8).putLong(trimPoint).array()))
        .build();
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Every key under {@code prefix} in the cluster's bucket. */
  private static Set<String> bucketKeys(S3ObjectStore s3, String prefix) throws Exception {
    Set<String> keys = new TreeSet<>();
    for (ObjectInfo o : get(s3.list(prefix, null, Integer.MAX_VALUE))) {
      keys.add(o.key());
    }
    return keys;
  }

  /**
   * A counter or gauge of the node's {@code GET /metrics} (Prometheus text, no labels), or -1 if
   * the node does not answer or has no such line.
   */
  private static double metric(ClusterNode node, String name) {
    HttpRequest req =
        HttpRequest.newBuilder(node.baseUri().resolve("/metrics"))
            .timeout(Duration.ofSeconds(3))
            .build();
    try {
      String text =
          METRICS_CLIENT.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      for (String line : text.split("\n")) {
        if (line.startsWith(name + " ")) {
          return Double.parseDouble(line.substring(name.length() + 1).trim());
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Every record of {@code stream} from seq num 0 up to its tail, read through {@code client}: the
   * read starts at the first record that is neither trimmed nor expired.
   */
  private static List<SequencedRecord> readRetained(S2Client client, String stream, long tail)
      throws IOException {
    List<SequencedRecord> all = new ArrayList<>();
    long next = 0;
    while (next < tail) {
      ReadBatch batch = client.readProto(BASIN, stream, next, 1000);
      assertThat(batch.getRecordsCount())
          .as("records of %s read from %d", stream, next)
          .isPositive();
      all.addAll(batch.getRecordsList());
      next = batch.getRecords(batch.getRecordsCount() - 1).getSeqNum() + 1;
    }
    return all;
  }

  @Test
  @Order(7)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void theSweepersNodeKilledMidSweepLosesNothingRetainedAndTheNextSweepFinishesTheJob()
      throws Exception {
    long caseStart = System.nanoTime();
    Map<ClusterNode, S2Client> via = new java.util.LinkedHashMap<>();
    for (ClusterNode m : members) {
      via.put(m, client(m));
    }
    // With two members, killing one leaves equal halves, and the split-brain resolver keeps the
    // one with the lowest address, which may be the dead one: a third member joins first (in the
    // background while the streams are written).
    ExecutorService joiner = Executors.newSingleThreadExecutor();
    Future<ClusterNode> joining =
        members.size() >= 3 ? null : joiner.submit(ClusterIT::launchJoiningNode);
    joiner.shutdown();
    List<S2Client> writeVia = new ArrayList<>(via.values());

    long now = System.currentTimeMillis();
    long old = now - 600_000; // ten minutes ago: expired once the retention is 300 s
    List<SweepStream> expiring = new ArrayList<>();
    List<SweepStream> mixed = new ArrayList<>();
    List<SweepStream> trimmed = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      expiring.add(new SweepStream("sweep-a-expire-" + i));
    }
    for (int i = 0; i < 2; i++) {
      mixed.add(new SweepStream("sweep-b-mixed-" + i));
      trimmed.add(new SweepStream("sweep-c-trim-" + i));
    }
    SweepStream empty = new SweepStream("sweep-d-empty");
    List<SweepStream> all = new ArrayList<>(expiring);
    all.addAll(mixed);
    all.addAll(trimmed);
    all.add(empty);
    String infinite = "{\"retention_policy\":{\"infinite\":{}}}";
    for (int i = 0; i < all.size(); i++) {
      SweepStream s = all.get(i);
      writeVia
          .get(i % writeVia.size())
          .createStream(
              BASIN,
              s.name,
              s == empty
                  ? "{\"retention_policy\":{\"infinite\":{}},"
                      + "\"delete_on_empty\":{\"min_age_secs\":1}}"
                  : infinite);
      s.streamId = get(metadata().getStream(BASIN, s.name)).orElseThrow().streamId();
    }

    // Write: every append is one segment. Expiring streams: every record ten minutes old; mixed:
    // the first half ten minutes old, the second half current; trimmed: current, then a trim
    // command in the middle of a segment and one more append (its flush records the trim point).
    long writeStart = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(all.size());
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (SweepStream s : all) {
        writers.add(
            pool.submit(
                () -> {
                  int appends = s == empty ? 3 : SWEEP_APPENDS;
                  for (int k = 0; k < appends; k++) {
                    boolean oldRecord =
                        expiring.contains(s)
                            || s == empty
                            || (mixed.contains(s) && k < appends / 2);
                    appendAndKeep(
                        writeVia.get(k % writeVia.size()),
                        s,
                        batch(s, k, oldRecord ? old : System.currentTimeMillis()));
                  }
                  return null;
                }));
      }
      for (Future<?> w : writers) {
        w.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (SweepStream s : mixed) {
      s.firstKept = (long) (SWEEP_APPENDS / 2) * SWEEP_RECORDS_PER_APPEND;
    }
    for (SweepStream s : trimmed) {
      s.firstKept = s.tail / 2 + 7; // inside a segment: that segment is kept
      appendAndKeep(writeVia.get(0), s, List.of(trimRecord(s.firstKept)));
      appendAndKeep(writeVia.get(1), s, batch(s, SWEEP_APPENDS, System.currentTimeMillis()));
    }
    for (SweepStream s : expiring) {
      s.firstKept = s.tail;
    }
    empty.firstKept = empty.tail;
    long writeMillis = (System.nanoTime() - writeStart) / 1_000_000;

    // Everything written is in segments (stream_state's flushed position is the tail).
    await("every sweep stream flushed up to its tail")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (SweepStream s : all) {
                StreamStateRecord st = get(metadata().getStreamState(s.streamId)).orElse(null);
                if (st == null || st.flushedNextSeqNum() != s.tail) {
                  return false;
                }
              }
              return true;
            });
    for (SweepStream s : all) {
      s.segments = get(metadata().listSegments(s.streamId));
    }
    if (joining != null) {
      ClusterNode joined = joining.get(150, TimeUnit.SECONDS);
      members.add(joined);
      via.put(joined, client(joined));
    }
    assertThat(members).as("members before the kill").hasSizeGreaterThanOrEqualTo(3);

    // The sweeper's node: the member whose count of sweeps goes up.
    Map<ClusterNode, Double> sweepsBefore = new HashMap<>();
    for (ClusterNode m : members) {
      sweepsBefore.put(m, metric(m, "millrace_lifecycle_sweeps_total"));
    }
    ClusterNode[] sweeperHolder = {null};
    // Sweeps are counted when they end; the first sweep after the earlier cases can spend a minute
    // or more collecting their WAL backlog (seen: 4,723 objects in one sweep), so allow for it.
    await("a member whose lifecycle sweeps count goes up")
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (ClusterNode m : members) {
                if (metric(m, "millrace_lifecycle_sweeps_total") > sweepsBefore.get(m)) {
                  sweeperHolder[0] = m;
                  return true;
                }
              }
              return false;
            });
    ClusterNode sweeper = sweeperHolder[0];
    assertThat(sweeper.log()).contains("Lifecycle sweeper runs on this node");

    S3ObjectStore s3 = services.openObjectStore();
    try {
      Set<String> walBefore = bucketKeys(s3, "wal/");
      int doomedTotal = all.stream().mapToInt(s -> s.doomed().size()).sum();
      int expiringDoomed = expiring.stream().mapToInt(s -> s.doomed().size()).sum();
      for (SweepStream s : all) {
        // A trimmed stream's segments below its trim point may go in any sweep once the trim is
        // flushed (the sweeps of the earlier cases run every second): only its kept ones must be
        // there. Every other stream's segments are all retained until the reconfiguration below.
        List<SegmentRecord> present = trimmed.contains(s) ? s.kept() : s.segments;
        assertThat(bucketKeys(s3, "segments/" + s.streamId + "/"))
            .as("segment objects of %s before the kill", s.name)
            .containsAll(present.stream().map(SegmentRecord::objectKey).toList());
      }

      // Retention 300 s: the ten-minute-old records expire at once (a reconfiguration applies to
      // existing data); the expiring streams last, all at once, so one sweep meets their backlog.
      String fiveMinutes = "{\"retention_policy\":{\"age\":300}}";
      List<SweepStream> reconfigured = new ArrayList<>(mixed);
      reconfigured.add(empty);
      reconfigured.addAll(expiring);
      List<CompletableFuture<S2Client.Response>> patches = new ArrayList<>();
      for (SweepStream s : reconfigured) {
        S2Client c = via.get(sweeper);
        patches.add(
            c.sendAsync(c.jsonRequest("PATCH", S2Client.streamPath(s.name), BASIN, fiveMinutes)));
      }
      for (CompletableFuture<S2Client.Response> p : patches) {
        S2Client.Response r = p.get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as("reconfigure: %s", r.text()).isEqualTo(200);
      }
      long madeDeletable = System.nanoTime();

      // SIGKILL the sweeper's node as soon as the sweep has deleted some of the expired segments.
      int[] left = {expiringDoomed};
      await("the sweep deleting expired segments")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                int n = 0;
                for (SweepStream s : expiring) {
                  n += get(metadata().listSegments(s.streamId)).size();
                }
                left[0] = n;
                return n < expiringDoomed;
              });
      long killedAt = System.nanoTime();
      sweeper.kill();
      members.remove(sweeper);
      via.remove(sweeper);
      Set<String> doomedLeft = new TreeSet<>();
      for (SweepStream s : expiring) {
        doomedLeft.addAll(bucketKeys(s3, "segments/" + s.streamId + "/"));
      }
      System.out.printf(
          "Sweep kill: %d streams written in %d ms (%d segments, %d of them to delete, %d WAL"
              + " objects in the bucket); node %d (the sweeper) killed %d ms after the"
              + " reconfiguration, when %d of the %d expired segment rows were left and %d"
              + " expired segment objects were still in the bucket.%n",
          all.size(),
          writeMillis,
          all.stream().mapToInt(s -> s.segments.size()).sum(),
          doomedTotal,
          walBefore.size(),
          sweeper.index,
          (killedAt - madeDeletable) / 1_000_000,
          left[0],
          expiringDoomed,
          doomedLeft.size());
      assertThat(doomedLeft)
          .as("expired segment objects left when the sweeper's node was killed (mid-sweep)")
          .isNotEmpty();
      Map<ClusterNode, Integer> logOffsets = new HashMap<>();
      Map<ClusterNode, Double> deletedBefore = new HashMap<>();
      for (ClusterNode m : members) {
        logOffsets.put(m, m.log().length());
        deletedBefore.put(m, metric(m, "millrace_lifecycle_deleted_objects_total"));
      }

      // The next sweep, on another member, finishes the job.
      Set<String> doomedKeys = new TreeSet<>();
      Set<String> keptKeys = new TreeSet<>();
      for (SweepStream s : all) {
        s.doomed().forEach(seg -> doomedKeys.add(seg.objectKey()));
        s.kept().forEach(seg -> keptKeys.add(seg.objectKey()));
      }
      String deadNode = sweeper.clusterAddress();
      Set<String> deadChannels = new TreeSet<>();
      for (ChannelRecord ch : get(metadata().listChannels())) {
        if (ch.node().equals(deadNode)) {
          deadChannels.add(ch.channelId());
        }
      }
      await("expired and trimmed segments deleted by the next sweeper")
          .atMost(Duration.ofSeconds(150))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                Set<String> segments = bucketKeys(s3, "segments/");
                assertThat(segments)
                    .as("expired or trimmed segment objects")
                    .doesNotContainAnyElementsOf(doomedKeys);
                for (SweepStream s : all) {
                  if (s != empty) {
                    assertThat(get(metadata().listSegments(s.streamId)))
                        .as("segment rows of %s", s.name)
                        .containsExactlyElementsOf(s.kept());
                  }
                }
              });
      long finishedAt = System.nanoTime();
      ClusterNode next =
          members.stream()
              .filter(
                  m ->
                      m.log()
                          .substring(logOffsets.get(m))
                          .contains("Lifecycle sweeper runs on this node"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no member took over the lifecycle sweeper"));
      assertThat(metric(next, "millrace_lifecycle_deleted_objects_total"))
          .as("objects deleted by the sweeper on node %d", next.index)
          .isGreaterThan(deletedBefore.get(next));
      assertThat(bucketKeys(s3, "segments/")).as("segments kept").containsAll(keptKeys);

      // WAL: every chunk that was in the bucket before the kill is collected (all its records are
      // in segments), the dead node's channels are finished and their rows removed.
      await("WAL chunks collected and the dead node's channels removed")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                Set<String> wal = bucketKeys(s3, "wal/");
                // (walBefore may be empty: in the full class the sweeps can have collected every
                // chunk before the kill, since all records were in segments by then.)
                assertThat(wal)
                    .as("WAL objects that were in the bucket before the kill")
                    .noneMatch(walBefore::contains);
                assertThat(get(metadata().listChannels()))
                    .as("channel rows of the killed node %d", sweeper.index)
                    .noneMatch(ch -> deadChannels.contains(ch.channelId()));
              });
      long collectedAt = System.nanoTime();
      Set<String> walAfter = bucketKeys(s3, "wal/");

      // delete_on_empty: the stream whose records all expired is deleted like a user delete.
      await("the empty stream deleted")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                S2Client c = via.values().iterator().next();
                return c.send(c.request(S2Client.streamPath(empty.name), BASIN).GET().build())
                        .status()
                    == 404;
              });
      via.values().iterator().next().createStream(BASIN, empty.name, null);

      // Reads through every survivor: what is retained reads back identically; what expired is
      // gone (416 at the tail); the tails are unchanged.
      for (Map.Entry<ClusterNode, S2Client> e : via.entrySet()) {
        S2Client c = e.getValue();
        for (SweepStream s : expiring) {
          S2Client.Response r =
              c.send(
                  c.request(S2Client.streamPath(s.name) + "/records?seq_num=0&count=10", BASIN)
                      .GET()
                      .build());
          assertThat(r.status())
              .as("read of expired %s through node %d: %s", s.name, e.getKey().index, r.text())
              .isEqualTo(416);
          assertThat(r.json().get("tail").get("seq_num").asLong()).isEqualTo(s.tail);
        }
        List<SweepStream> retained = new ArrayList<>(mixed);
        retained.addAll(trimmed);
        for (SweepStream s : retained) {
          assertThat(c.checkTail(BASIN, s.name).getSeqNum())
              .as("tail of %s", s.name)
              .isEqualTo(s.tail);
          List<SequencedRecord> read = readRetained(c, s.name, s.tail);
          List<Acked> expected = s.acked.stream().filter(a -> a.seqNum() >= s.firstKept).toList();
          assertThat(read)
              .as("records of %s read through node %d", s.name, e.getKey().index)
              .hasSize(expected.size());
          for (int i = 0; i < expected.size(); i++) {
            Acked a = expected.get(i);
            SequencedRecord r = read.get(i);
            assertThat(r.getSeqNum())
                .as("seq num of record %d of %s", i, s.name)
                .isEqualTo(a.seqNum());
            assertThat(r.getTimestamp())
                .as("timestamp of %s at %d", s.name, a.seqNum())
                .isEqualTo(a.timestamp());
            assertThat(r.getBody()).as("body of %s at %d", s.name, a.seqNum()).isEqualTo(a.body());
          }
        }
      }
      // Every other stream of the basin (the earlier tests') still reads back whole and alike.
      List<String> sweepNames = all.stream().map(s -> s.name).toList();
      int others = 0;
      for (StreamRecord st : get(metadata().listStreams(BASIN, "", null, 1000))) {
        if (st.deletedAt() != null || sweepNames.contains(st.name())) {
          continue;
        }
        others++;
        List<SequencedRecord> first = null;
        for (Map.Entry<ClusterNode, S2Client> e : via.entrySet()) {
          List<SequencedRecord> records = readAll(e.getValue(), st.name());
          assertGaplessAndUnique(records);
          if (first == null) {
            first = records;
          } else {
            assertThat(records)
                .as("%s read through node %d", st.name(), e.getKey().index)
                .isEqualTo(first);
          }
        }
      }
      for (ClusterNode m : members) {
        assertThat(m.log().substring(logOffsets.get(m)))
            .as("log of node %d after the kill", m.index)
            .doesNotContain("data_loss");
      }
      System.out.printf(
          "Sweep kill: node %d took over the sweeper; the expired and trimmed segments were all"
              + " gone %d ms after the kill, every WAL object of before the kill %d ms after it"
              + " (%d -> %d WAL objects, %d channels of the killed node removed); %d other streams"
              + " read back whole; the case took %d ms.%n",
          next.index,
          (finishedAt - killedAt) / 1_000_000,
          (collectedAt - killedAt) / 1_000_000,
          walBefore.size(),
          walAfter.size(),
          deadChannels.size(),
          others,
          (System.nanoTime() - caseStart) / 1_000_000);
    } finally {
      s3.close();
    }
  }

  /**
   * The stopping half of a rolling restart: a node that hosts a stream is stopped gracefully
   * (SIGTERM) while a writer appends through another node. The stream moves (the stopping node
   * hands its shards over before its entities stop, docs/adr/0012); the longest pause between acks
   * is printed, and nothing acknowledged is lost.
   */
  @Test
  @Order(8)
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aStreamWhoseNodeStopsGracefullyMovesWhileItsWriterAppendsAndLosesNothing() throws Exception {
    assertThat(members).as("members before the graceful stop").hasSizeGreaterThanOrEqualTo(2);
    String stream = "leaving";
    createWithWarmUp(stream);
    ClusterNode host = hostOf(stream);
    ClusterNode entry = members.stream().filter(n -> n != host).findFirst().orElseThrow();
    Writer writer = new Writer(stream, List.of(client(entry))).start();
    long stoppedAt;
    long stoppedAtWallMillis;
    try {
      await("the writer's acks before the stop")
          .atMost(Duration.ofSeconds(30))
          .until(() -> writer.ackedSentAfter(0) >= 10);
      stoppedAtWallMillis = System.currentTimeMillis();
      stoppedAt = System.nanoTime();
      Thread stopper = new Thread(host::close, "stop-node-" + host.index);
      stopper.start();
      members.remove(host);
      await("acks after node " + host.index + " was told to stop")
          .atMost(Duration.ofSeconds(60))
          .until(() -> writer.ackedSentAfter(stoppedAt) >= 20);
      stopper.join(60_000);
    } finally {
      writer.stop();
    }
    long failed =
        writer.attempts.stream().filter(a -> !a.acked() && a.sentNanos() > stoppedAt).count();
    System.out.printf(
        "Graceful stop: node %d (hosting %s) stopped with SIGTERM while the writer appended"
            + " through node %d; longest pause between acks %d ms; %d appends failed after the"
            + " stop began; node %d %s.%n",
        host.index,
        stream,
        entry.index,
        writer.longestAckGapMillis(stoppedAt),
        failed,
        host.index,
        host.isAlive() ? "is still running" : "has exited");
    printHandOffs("Graceful stop", stoppedAtWallMillis);
    assertEveryAckIsInTheStream(stream, writer.attempts);
  }
}
