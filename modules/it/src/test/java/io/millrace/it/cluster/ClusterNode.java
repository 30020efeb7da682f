package io.millrace.it.cluster;

import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Millrace node of the test cluster: the built jar as its own JVM, {@code serve --config FILE
 * --object-store s3 --metadata cassandra --seed-nodes ...}, output in a log file. {@link #launch}
 * returns at once; {@link #awaitReady} waits for {@code GET /health} 200.
 */
final class ClusterNode implements AutoCloseable {
  private static final HttpClient HEALTH_CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  final int index;
  final int httpPort;
  final int clusterPort;
  private final Process process;
  private final Path logFile;

  private ClusterNode(int index, int httpPort, int clusterPort, Process process, Path logFile) {
    this.index = index;
    this.httpPort = httpPort;
    this.clusterPort = clusterPort;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts node {@code index}; {@code rootToken} is given to it as {@code MILLRACE_ROOT_TOKEN}
   * (every node of a cluster must accept the same root token).
   */
  static ClusterNode launch(
      Path jar,
      Path config,
      int index,
      int httpPort,
      int clusterPort,
      String seeds,
      String rootToken,
      Path logDir) {
    Path log = logDir.resolve("cluster-node-" + index + ".log");
    Process p =
        ServerProcess.launch(
            jar,
            List.of("-Xmx256m", "-XX:+UseSerialGC"),
            List.of(
                "--config",
                config.toAbsolutePath().toString(),
                "--object-store",
                "s3",
                "--metadata",
                "cassandra",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(httpPort),
                "--cluster-host",
                "127.0.0.1",
                "--cluster-port",
                Integer.toString(clusterPort),
                "--seed-nodes",
                seeds,
                "--node-name",
                "node-" + index),
            java.util.Map.of("MILLRACE_ROOT_TOKEN", rootToken),
            log);
    return new ClusterNode(index, httpPort, clusterPort, p, log);
  }

  URI baseUri() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  /** The node's cluster address, as the engine records it in the channels table. */
  String clusterAddress() {
    return "pekko://millrace@127.0.0.1:" + clusterPort;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until {@code GET /health} answers 200; fails with the log's end if it does not. */
  void awaitReady(Duration timeout) {
    ServerProcess.awaitHealthy(process, baseUri(), timeout, "node " + index, logFile);
  }

  /** The node's operating-system process id. */
  long pid() {
    return process.pid();
  }

  /**
   * SIGSTOP: the JVM stops on the spot (no thread runs, sockets stay open) until {@link #resume}.
   */
  void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause}. */
  void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    if (!process.isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || (kill.exitValue() != 0 && process.isAlive())) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Waits up to {@code timeout} for the process to exit; its exit status, or null if it runs. */
  Integer awaitExit(Duration timeout) {
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The status {@code GET /health} answers now, or -1 if the node does not answer in 2 s. */
  int health() {
    HttpRequest health =
        HttpRequest.newBuilder(baseUri().resolve("/health")).timeout(Duration.ofSeconds(2)).build();
    try {
      return HEALTH_CLIENT.send(health, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The whole log of the node so far. */
  String log() {
    try {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The end of the node's log, for failure messages. */
  String logTail() {
    return ServerProcess.logTail(logFile);
  }

  /** SIGTERM (graceful), SIGKILL after 20 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
