package io.millrace.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.metadata.cassandra.CassandraMetadataStore;
import io.millrace.metadata.cassandra.CassandraSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
import s2.v1.ReadBatch;
import s2.v1.SequencedRecord;

/**
 * Three Millrace nodes (the built jar, each its own JVM) form a cluster over a real S3Proxy bucket
 * and a real Cassandra. Appends sent through every node to one stream land in one gapless order
 * that every node reads back identically; and when the node hosting a stream is killed with SIGKILL
 * while a writer appends, the stream accepts appends again on the survivors, and every acknowledged
 * record is there exactly once with the seq num it was acknowledged with.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final String BASIN = "cluster-it";
  private static final int NODES = 3;
  private static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(120);

  /** Longest wait for a killed node's stream to accept appends again on a survivor. */
  private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(90);

  private static ClusterServices services;
  private static final List<ClusterNode> nodes = new ArrayList<>();
  private static final List<S2Client> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws IOException {
    services = ClusterServices.get();
    Path logDir = Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
    Files.createDirectories(logDir);
    Path config = logDir.resolve("cluster-node.conf");
    Files.writeString(
        config,
        services.nodeConfig()
            + "pekko.cluster.split-brain-resolver.stable-after = 5s\n"
            + "millrace.engine.ask-timeout = 5s\n");
    int[] clusterPorts = new int[NODES];
    StringBuilder seeds = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = ServerProcess.freePort();
      seeds.append(i == 0 ? "" : ",").append("127.0.0.1:").append(clusterPorts[i]);
    }
    Path jar = ServerProcess.defaultJar();
    for (int i = 0; i < NODES; i++) {
      nodes.add(
          ClusterNode.launch(
              jar,
              config,
              i + 1,
              ServerProcess.freePort(),
              clusterPorts[i],
              seeds.toString(),
              logDir));
    }
    for (ClusterNode n : nodes) {
      n.awaitReady(NODE_READY_TIMEOUT);
      clients.add(new S2Client(n.baseUri()));
    }
    clients.get(0).createBasin(BASIN, null);
  }

  @AfterAll
  static void stopCluster() {
    for (ClusterNode n : nodes) {
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

  /** One append attempt of the failover writer. */
  private record Attempt(String body, long sentNanos, long doneNanos, Long seqNum, String error) {}

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
    ClusterNode entry = nodes.stream().filter(n -> n != host).findFirst().orElseThrow();
    S2Client writerClient = clients.get(nodes.indexOf(entry));
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
                long sent = System.nanoTime();
                try {
                  AppendAck ack = writerClient.appendProto(BASIN, stream, one(body));
                  attempts.add(
                      new Attempt(body, sent, System.nanoTime(), ack.getStart().getSeqNum(), null));
                } catch (S2Client.UnexpectedStatus | IOException e) {
                  attempts.add(new Attempt(body, sent, System.nanoTime(), null, e.toString()));
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
    for (ClusterNode survivor : nodes) {
      if (survivor == host) {
        continue;
      }
      List<SequencedRecord> records = readAll(clients.get(nodes.indexOf(survivor)), stream);
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

  private static long successesAfter(List<Attempt> attempts, long since) {
    return attempts.stream().filter(a -> a.seqNum() != null && a.sentNanos() > since).count();
  }

  /** The node whose channel the stream's latest streamlet uses (from the Cassandra metadata). */
  private static ClusterNode hostOf(String stream) {
    try (CassandraMetadataStore metadata =
        CassandraMetadataStore.open(CassandraSettings.local(services.cassandraPort))) {
      StreamRecord s =
          metadata
              .getStream(BASIN, stream)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              .orElseThrow();
      List<StreamletRecord> streamlets =
          metadata.listStreamlets(s.streamId()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(streamlets).as("streamlets of %s", stream).isNotEmpty();
      String channelId = streamlets.get(streamlets.size() - 1).channelId();
      List<ChannelRecord> channels =
          metadata.listChannels().toCompletableFuture().get(30, TimeUnit.SECONDS);
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
