package io.millrace.it.bench.kafka;

import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node Apache Kafka broker in KRaft combined mode (broker and controller in one JVM), run
 * as a child process from the jars in {@code libDir} (resolved by {@code
 * modules/it/kafka-broker/pom.xml}), with its log dirs under {@code dir}.
 */
final class KafkaBroker implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final Process process;
  private final String bootstrap;
  private final Path logFile;

  private KafkaBroker(Process process, String bootstrap, Path logFile) {
    this.process = process;
    this.bootstrap = bootstrap;
    this.logFile = logFile;
  }

  /**
   * Formats {@code dir} and starts the broker; returns once it answers a describe-cluster call.
   *
   * @param flushEveryMessage {@code true} sets {@code log.flush.interval.messages=1}: the broker
   *     fsyncs the partition log after every appended batch, before the produce is acknowledged
   */
  static KafkaBroker start(Path libDir, Path dir, boolean flushEveryMessage) throws IOException {
    if (!Files.isDirectory(libDir)) {
      throw new IllegalStateException(
          "Kafka jars not found at "
              + libDir.toAbsolutePath()
              + "; run: mvn -q -B -f modules/it/kafka-broker/pom.xml package");
    }
    Files.createDirectories(dir);
    int brokerPort = ServerProcess.freePort();
    int controllerPort = ServerProcess.freePort();
    while (controllerPort == brokerPort) {
      controllerPort = ServerProcess.freePort();
    }
    Map<String, String> config =
        new java.util.LinkedHashMap<>(
            Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"),
                Map.entry("controller.quorum.voters", "1@127.0.0.1:" + controllerPort),
                Map.entry(
                    "listeners",
                    "PLAINTEXT://127.0.0.1:"
                        + brokerPort
                        + ",CONTROLLER://127.0.0.1:"
                        + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry(
                    "listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"),
                Map.entry("log.dirs", dir.resolve("data").toAbsolutePath().toString()),
                Map.entry("num.partitions", "1"),
                Map.entry("auto.create.topics.enable", "false"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("message.max.bytes", Integer.toString(2 * 1024 * 1024))));
    if (flushEveryMessage) {
      config.put("log.flush.interval.messages", "1");
    }
    StringBuilder text = new StringBuilder();
    config.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Path properties = dir.resolve("server.properties");
    Files.writeString(properties, text, StandardCharsets.UTF_8);
    Path logFile = dir.resolve("kafka.log");

    String classpath = libDir.toAbsolutePath() + "/*";
    List<String> format =
        java(
            classpath,
            List.of("-Xmx256m"),
            "kafka.tools.StorageTool",
            List.of(
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                properties.toString(),
                "--ignore-formatted"));
    Process formatting = run(format, logFile);
    try {
      if (!formatting.waitFor(120, TimeUnit.SECONDS) || formatting.exitValue() != 0) {
        formatting.destroyForcibly();
        throw new IllegalStateException(
            "kafka storage format failed: " + ServerProcess.logTail(logFile));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    Process process =
        run(
            java(
                classpath,
                List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC"),
                "kafka.Kafka",
                List.of(properties.toString())),
            logFile);
    KafkaBroker broker = new KafkaBroker(process, "127.0.0.1:" + brokerPort, logFile);
    broker.awaitReady();
    return broker;
  }

  private static List<String> java(
      String classpath, List<String> jvmArgs, String main, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.addAll(List.of("-cp", classpath, main));
    command.addAll(args);
    return command;
  }

  private static Process run(List<String> command, Path logFile) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    try (Admin admin = Admin.create(props)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "kafka exited with " + process.exitValue() + ": " + ServerProcess.logTail(logFile));
        }
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
        if (System.nanoTime() > deadline) {
          close();
          throw new IllegalStateException(
              "kafka not ready after " + READY_TIMEOUT + ": " + ServerProcess.logTail(logFile));
        }
        ServerProcess.sleep(200);
      }
    }
  }

  /** The bootstrap address, {@code 127.0.0.1:PORT}. */
  String bootstrap() {
    return bootstrap;
  }

  long pid() {
    return process.pid();
  }

  Path logFile() {
    return logFile;
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 60 s). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
