package io.millrace.it.nemesis;

import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import io.millrace.it.cluster.ClusterServices;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Three Millrace nodes over the test JVM's shared S3Proxy and Cassandra ({@link ClusterServices},
 * in their own bucket and keyspace), with every cluster link going through a {@link LinkProxy} so
 * the nemesis can partition any node from the others.
 *
 * <p>How the links are routed: node {@code i} binds its Pekko remoting port {@code B(i)} on
 * 127.0.0.1 but advertises the canonical address {@code mr-node-i:P(i)}. Every node gets its own
 * hosts file ({@code -Djdk.net.hosts.file}) in which {@code mr-node-i} is the loopback address
 * {@code 127.j.i.1} for node {@code j}; there a proxy for the one-way link j→i listens on port
 * {@code P(i)} and forwards to {@code 127.0.0.1:B(i)}. So every connection node j opens to node i
 * (Pekko Artery opens its own outbound connections, one direction each) passes the j→i proxy, and
 * black-holing the links i→* and *→i isolates node i completely.
 */
final class ProxiedCluster implements AutoCloseable {
  static final int NODES = 3;

  /** Apart from ClusterIT's streams and objects in the same services. */
  private static final ClusterServices.Space SPACE =
      new ClusterServices.Space("nemesis", "nemesis");

  private static final HttpClient HEALTH =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  final String rootToken = "nemesis-root-" + UUID.randomUUID().toString().replace("-", "");
  private final Path logDir;
  private final ClusterServices services;

  private final int[] httpPorts = new int[NODES];
  private final int[] canonicalPorts = new int[NODES];
  private final int[] bindPorts = new int[NODES];
  private final Path[] configs = new Path[NODES];
  private final Path[] hostsFiles = new Path[NODES];
  private final Process[] processes = new Process[NODES];
  private final int[] launches = new int[NODES];

  /** links[from][to], null on the diagonal. */
  private final LinkProxy[][] links = new LinkProxy[NODES][NODES];

  private final List<S2Client> clients = new ArrayList<>();

  ProxiedCluster(Path logDir) throws IOException {
    this.logDir = logDir;
    Files.createDirectories(logDir);
    services = ClusterServices.shared();
    // Whatever happens to the test JVM, the nodes do not outlive it.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process process : processes) {
                    if (process != null) {
                      process.destroyForcibly();
                    }
                  }
                },
                "stop-nemesis-nodes"));
    try {
      seeds = start();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private String start() throws IOException {
    services.prepare(SPACE);

    String machine = InetAddress.getLocalHost().getHostName();
    StringBuilder seeds = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      httpPorts[i] = ServerProcess.freePort();
      canonicalPorts[i] = ServerProcess.freePort();
      bindPorts[i] = ServerProcess.freePort();
      seeds.append(i == 0 ? "" : ",").append(host(i)).append(':').append(canonicalPorts[i]);
    }
    for (int from = 0; from < NODES; from++) {
      StringBuilder hosts = new StringBuilder("127.0.0.1 localhost " + machine + "\n");
      hosts.append("127.0.0.1 ").append(host(from)).append('\n');
      for (int to = 0; to < NODES; to++) {
        if (to == from) {
          continue;
        }
        InetAddress listen = linkAddress(from, to);
        hosts.append(listen.getHostAddress()).append(' ').append(host(to)).append('\n');
        links[from][to] =
            new LinkProxy(
                "n" + (from + 1) + "->n" + (to + 1),
                listen,
                canonicalPorts[to],
                new InetSocketAddress("127.0.0.1", bindPorts[to]));
      }
      hostsFiles[from] = logDir.resolve("nemesis-hosts-" + (from + 1));
      Files.writeString(hostsFiles[from], hosts.toString());
      configs[from] = logDir.resolve("nemesis-node-" + (from + 1) + ".conf");
      Files.writeString(configs[from], nodeConfig(from));
    }
    for (int i = 0; i < NODES; i++) {
      clients.add(new S2Client(baseUri(i), rootToken));
      processes[i] = launch(i, seeds.toString());
    }
    for (int i = 0; i < NODES; i++) {
      for (int attempt = 1; ; attempt++) {
        try {
          awaitHealthy(i, Duration.ofSeconds(300));
          break;
        } catch (IllegalStateException e) {
          // On a loaded machine a first start can fail on a store timeout; the node exits then.
          if (attempt >= 3 || processes[i].isAlive()) {
            throw e;
          }
          System.out.println("Node " + (i + 1) + " exited before it was ready; starting it again.");
          processes[i] = launch(i, seeds.toString());
        }
      }
    }
    return seeds.toString();
  }

  private final String seeds;

  private static String host(int node) {
    return "mr-node-" + (node + 1);
  }

  private static InetAddress linkAddress(int from, int to) throws IOException {
    return InetAddress.getByAddress(new byte[] {127, (byte) (from + 1), (byte) (to + 1), 1});
  }

  private String nodeConfig(int node) {
    return services.nodeConfig(SPACE)
        + "pekko.remote.artery.bind.hostname = \"127.0.0.1\"\n"
        + "pekko.remote.artery.bind.port = "
        + bindPorts[node]
        + "\n"
        + "pekko.cluster.split-brain-resolver.stable-after = 5s\n"
        + "pekko.cluster.sharding.rebalance-interval = 2s\n"
        + "millrace.server.health-check-interval = 2s\n"
        + "millrace.engine.ask-timeout = 5s\n";
  }

  private Process launch(int node, String seedList) {
    launches[node]++;
    return ServerProcess.launch(
        ServerProcess.defaultJar(),
        List.of(
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-Djdk.net.hosts.file=" + hostsFiles[node].toAbsolutePath()),
        List.of(
            "--config",
            configs[node].toAbsolutePath().toString(),
            "--object-store",
            "s3",
            "--metadata",
            "cassandra",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(httpPorts[node]),
            "--cluster-host",
            host(node),
            "--cluster-port",
            Integer.toString(canonicalPorts[node]),
            "--seed-nodes",
            seedList,
            "--node-name",
            "node-" + (node + 1)),
        Map.of("MILLRACE_ROOT_TOKEN", rootToken),
        logFile(node));
  }

  private Path logFile(int node) {
    return logDir.resolve("nemesis-node-" + (node + 1) + ".log");
  }

  URI baseUri(int node) {
    return URI.create("http://127.0.0.1:" + httpPorts[node]);
  }

  List<S2Client> clients() {
    return clients;
  }

  /** The status {@code GET /health} of the node answers now, -1 if none within 2 s. */
  int health(int node) {
    HttpRequest request =
        HttpRequest.newBuilder(baseUri(node).resolve("/health"))
            .timeout(Duration.ofSeconds(2))
            .build();
    try {
      return HEALTH.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  void awaitHealthy(int node, Duration timeout) {
    ServerProcess.awaitHealthy(
        processes[node], baseUri(node), timeout, "node " + (node + 1), logFile(node));
  }

  /** SIGKILL. */
  void kill(int node) {
    processes[node].destroyForcibly();
    try {
      processes[node].waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void pause(int node) {
    Signals.pause(processes[node].pid());
  }

  void resume(int node) {
    Signals.resume(processes[node].pid());
  }

  /** Black-holes every link to and from the node. */
  void isolate(int node) {
    for (int other = 0; other < NODES; other++) {
      if (other != node) {
        links[node][other].blackhole();
        links[other][node].blackhole();
      }
    }
  }

  /**
   * Black-holes only the links into the node: it still reaches the others, they do not reach it.
   */
  void isolateInbound(int node) {
    for (int other = 0; other < NODES; other++) {
      if (other != node) {
        links[other][node].blackhole();
      }
    }
  }

  /** Black-holes both links between two nodes; each still reaches the third. */
  void split(int a, int b) {
    links[a][b].blackhole();
    links[b][a].blackhole();
  }

  /** Delays every link to and from the node by {@code millis}. */
  void slow(int node, long millis) {
    for (int other = 0; other < NODES; other++) {
      if (other != node) {
        links[node][other].delay(millis);
        links[other][node].delay(millis);
      }
    }
  }

  /** Heals every link. */
  void healLinks() {
    for (LinkProxy[] row : links) {
      for (LinkProxy link : row) {
        if (link != null) {
          link.heal();
        }
      }
    }
  }

  /**
   * Brings a node that died, was downed, or otherwise stopped answering back: waits up to {@code
   * grace} for {@code GET /health} 200, else kills and relaunches it and waits until it is ready.
   * Returns whether it had to relaunch.
   */
  boolean repair(int node, Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    while (processes[node].isAlive() && System.nanoTime() < deadline) {
      if (health(node) == 200) {
        return false;
      }
      ServerProcess.sleep(250);
    }
    kill(node);
    for (int attempt = 1; ; attempt++) {
      processes[node] = launch(node, seeds);
      try {
        awaitHealthy(node, Duration.ofSeconds(180));
        return true;
      } catch (IllegalStateException e) {
        // A relaunch while a store restarts can fail on a store timeout; the node exits then.
        if (attempt >= 3 || processes[node].isAlive()) {
          throw e;
        }
      }
    }
  }

  /** The shared S3Proxy and Cassandra, for the store-restart faults. */
  ClusterServices services() {
    return services;
  }

  /** The node launches so far (first starts included). */
  int launches() {
    int total = 0;
    for (int n : launches) {
      total += n;
    }
    return total;
  }

  String logTail(int node) {
    return ServerProcess.logTail(logFile(node));
  }

  @Override
  public void close() {
    healLinks();
    for (Process process : processes) {
      if (process != null) {
        Signals.resume(process.pid());
        process.destroy();
      }
    }
    for (Process process : processes) {
      if (process != null) {
        try {
          if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          process.destroyForcibly();
        }
      }
    }
    for (LinkProxy[] row : links) {
      for (LinkProxy link : row) {
        if (link != null) {
          link.close();
        }
      }
    }
    // The services stay up for the other test classes of this JVM (they stop at its exit). If a
    // store-restart fault failed half-way, start the store again (a no-op when it runs) so that
    // the next class does not fail for this one.
    try {
      services.startS3Proxy();
      services.startCassandra();
    } catch (RuntimeException e) {
      System.err.println("ProxiedCluster: could not make sure the shared services run: " + e);
    }
  }
}
