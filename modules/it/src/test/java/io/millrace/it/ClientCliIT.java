package io.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.client.ClientConfig;
import io.millrace.client.Endpoint;
import io.millrace.client.MillraceClient;
import io.millrace.client.ReadSession;
import io.millrace.client.Records;
import io.millrace.client.RetryPolicy;
import io.millrace.client.S2Error;
import io.millrace.client.StreamClient;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.StreamConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The {@code millrace} client commands of the built jar against the built server ({@code serve
 * --grpc-port}), endpoint and token from the {@code S2_*} environment: basins, streams, append from
 * stdin, read, tail, check-tail, errors, and a small bench; and the Java SDK's read session
 * resuming across a kill -9 and restart of the server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientCliIT {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private static Path logs;
  private static Path dataDir;
  private static int httpPort;
  private static int grpcPort;
  private static ServerProcess server;

  @BeforeAll
  static void start() throws IOException {
    logs = Path.of(System.getProperty("millrace.it.logs", "target/it-logs"));
    dataDir = Files.createTempDirectory("millrace-client-it");
    httpPort = ServerProcess.freePort();
    grpcPort = ServerProcess.freePort();
    server = startServer();
  }

  private static ServerProcess startServer() {
    return ServerProcess.start(
        ServerProcess.defaultJar(),
        dataDir,
        httpPort,
        logs.resolve("client-cli-it.log"),
        List.of("-Xmx256m"),
        List.of("--grpc-port", Integer.toString(grpcPort)));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }
  }

  private static Map<String, String> env() {
    String endpoint = "http://127.0.0.1:" + grpcPort;
    return Map.of(
        "S2_ACCOUNT_ENDPOINT", endpoint,
        "S2_BASIN_ENDPOINT", endpoint,
        "S2_ACCESS_TOKEN", server.accessToken());
  }

  private static ProcessBuilder command(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    // A short-lived client: C1 only and the serial collector start it in about half the CPU time
    // (what the jar does is the same; about 25 launches make up most of this class's time).
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-jar");
    command.add(ServerProcess.defaultJar().toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().remove("MILLRACE_GRPC_ENDPOINT");
    b.environment().putAll(env);
    return b;
  }

  /** Runs {@code java -jar millrace.jar args...} with {@code stdin}; waits for it to exit. */
  private static Run cli(Map<String, String> env, String stdin, String... args) throws Exception {
    Path out = Files.createTempFile("cli-out", ".txt");
    Path err = Files.createTempFile("cli-err", ".txt");
    Process p = command(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("millrace " + String.join(" ", args) + " did not exit");
    }
    Run r =
        new Run(
            p.exitValue(),
            Files.readString(out).replace("\r", ""),
            Files.readString(err).replace("\r", ""));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return r;
  }

  private static Run cli(String... args) throws Exception {
    return cli(env(), "", args);
  }

  private static Run ok(String... args) throws Exception {
    Run r = cli(args);
    assertThat(r.exit()).as("millrace %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @Test
  void basinsStreamsAppendReadTailCheckTailAndErrors() throws Exception {
    assertThat(ok("basins", "create", "cli-basin").lines()).containsExactly("cli-basin\tactive");
    assertThat(ok("basins", "list", "--prefix", "cli-").lines()).contains("cli-basin\tactive");
    // (not create_stream_on_read: check-tail of a missing stream below must fail)
    assertThat(ok("basins", "config", "cli-basin", "--create-stream-on-append", "true").out())
        .contains("create_stream_on_append: true");
    assertThat(ok("basins", "config", "cli-basin").out()).contains("create_stream_on_append: true");

    assertThat(ok("streams", "create", "cli-basin", "logs").lines()).containsExactly("logs");
    assertThat(ok("streams", "list", "cli-basin").lines()).anyMatch(l -> l.startsWith("logs\t"));
    assertThat(ok("streams", "config", "cli-basin", "logs", "--storage-class", "express").out())
        .contains("storage_class: STORAGE_CLASS_EXPRESS");

    Run appended = cli(env(), "one\ntwo\nthree\n", "append", "cli-basin", "logs");
    assertThat(appended.exit()).as(appended.err()).isZero();
    assertThat(appended.lines()).containsExactly("appended 3 records, seq nums 0..2, tail 3");
    assertThat(ok("check-tail", "cli-basin", "logs").out()).startsWith("3\t");

    assertThat(ok("read", "cli-basin", "logs").lines()).containsExactly("one", "two", "three");
    assertThat(ok("read", "cli-basin", "logs", "--seq-num", "1", "--count", "1").lines())
        .containsExactly("two");
    assertThat(ok("read", "cli-basin", "logs", "--tail-offset", "1").lines())
        .containsExactly("three");
    assertThat(ok("read", "cli-basin", "logs", "--format", "json", "--count", "1").lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("{\"seq_num\":0,").contains("\"body\":\"b25l\""));

    // a conditional append at the wrong seq num is refused, with what the tail is
    Run refused = cli(env(), "x\n", "append", "cli-basin", "logs", "--match-seq-num", "1");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("seq_num_mismatch");

    // tail follows: a record appended after it started shows up
    Process tail =
        command(env(), "tail", "cli-basin", "logs", "-n", "1")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> followed = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  followed.add(line);
                }
              } catch (IOException e) {
                // the process was stopped
              }
            });
    reader.start();
    try {
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> followed.contains("three"));
      assertThat(cli(env(), "four\n", "append", "cli-basin", "logs").exit()).isZero();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> followed.contains("four"));
      assertThat(followed).containsExactly("three", "four");
    } finally {
      tail.destroy();
      tail.waitFor(10, TimeUnit.SECONDS);
    }

    Run missing = cli("check-tail", "cli-basin", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("stream_not_found");
    Run badToken =
        cli(
            Map.of(
                "S2_ACCOUNT_ENDPOINT",
                "http://127.0.0.1:" + grpcPort,
                "S2_ACCESS_TOKEN",
                "not-a-token"),
            "",
            "basins",
            "list");
    assertThat(badToken.exit()).isEqualTo(1);
    assertThat(badToken.err()).contains("authn");

    assertThat(ok("streams", "delete", "cli-basin", "logs").lines())
        .containsExactly("deleting logs");
  }

  @Test
  void benchVerifiesItsHashChainAndReportsPercentiles() throws Exception {
    ok("basins", "create", "bench-basin");
    Run bench =
        ok(
            "bench",
            "bench-basin",
            "load",
            "--records",
            "2000",
            "--record-size",
            "256",
            "--batch-size",
            "50");
    assertThat(bench.out())
        .contains("append: 2000 records of 256 bytes")
        .contains("hash chain verified over 2000 records (seq nums 0..1999)");
    assertThat(bench.lines())
        .anyMatch(l -> l.matches("ack latency \\(ms\\): p50 \\S+ p99 \\S+ p99\\.9 \\S+ .*n=40\\)"))
        .anyMatch(
            l ->
                l.matches(
                    "append-to-read latency \\(ms\\): p50 \\S+ p99 \\S+ p99\\.9 .*n=2000\\)"));
    assertThat(ok("check-tail", "bench-basin", "load").out()).startsWith("2000\t");
    assertThat(ok("basins", "delete", "bench-basin").lines())
        .containsExactly("deleting bench-basin");
  }

  @Test
  void tokensAreIssuedListedAndRevokedAndAnIssuedTokenActsOnlyWithinItsScope() throws Exception {
    ok("basins", "create", "token-basin");
    ok("streams", "create", "token-basin", "s");
    Run issued =
        ok(
            "tokens",
            "issue",
            "cli-reader",
            "--basins",
            "exact:token-basin",
            "--streams",
            "prefix:",
            "--ops",
            "read,check-tail");
    String secret = issued.out().trim();
    assertThat(secret).isNotEmpty().doesNotContain("\n");
    assertThat(ok("tokens", "list", "--prefix", "cli-").lines())
        .containsExactly(
            // the server keeps ops in their enum order
            "cli-reader\t-\tbasins=exact:token-basin streams=prefix: access-tokens=none"
                + " ops=check-tail,read");

    Map<String, String> asReader = new java.util.HashMap<>(env());
    asReader.put("S2_ACCESS_TOKEN", secret);
    Run tail = cli(asReader, "", "check-tail", "token-basin", "s");
    assertThat(tail.exit()).as(tail.err()).isZero();
    assertThat(tail.out()).startsWith("0\t");
    Run denied = cli(asReader, "not allowed\n", "append", "token-basin", "s");
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.err()).startsWith("error: permission_denied: ");
    Run badFlag = cli(env(), "", "tokens", "issue", "x-token", "--ops", "fly");
    assertThat(badFlag.exit()).isEqualTo(2);
    assertThat(badFlag.err()).isEqualTo("error: not an operation: fly\n");

    assertThat(ok("tokens", "revoke", "cli-reader").lines()).containsExactly("revoked cli-reader");
    assertThat(ok("tokens", "list", "--prefix", "cli-").lines()).isEmpty();
    // a node trusts a verified token for millrace.auth.cache-ttl (5 s)
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              Run r = cli(asReader, "", "check-tail", "token-basin", "s");
              return r.exit() == 1 && r.err().startsWith("error: authn: ");
            });
  }

  // Last: it kills and restarts the server the other cases share, and the first calls after a
  // restart may wait for the node's recovery.
  @Test
  @Order(Integer.MAX_VALUE)
  void theSdksReadSessionResumesAcrossAServerRestart() throws Exception {
    ok("basins", "create", "sdk-basin");
    MillraceClient client =
        MillraceClient.create(
            ClientConfig.builder(Endpoint.parse("http://127.0.0.1:" + grpcPort))
                .accessToken(server.accessToken())
                .retry(new RetryPolicy(60, Duration.ofMillis(100), Duration.ofSeconds(1)))
                .build());
    try {
      client
          .basin("sdk-basin")
          .createStream("s", StreamConfig.getDefaultInstance())
          .toCompletableFuture()
          .join();
      StreamClient s = client.basin("sdk-basin").stream("s");
      for (int i = 0; i < 5; i++) {
        s.append(List.of(Records.of("r" + i))).toCompletableFuture().join();
      }
      List<String> got = new CopyOnWriteArrayList<>();
      List<Long> reconnects = new CopyOnWriteArrayList<>();
      ReadSession session =
          s.readSession(
              ReadSessionRequest.newBuilder().setSeqNum(0).setHeartbeats(true).build(),
              new ReadSession.Listener() {
                @Override
                public void onBatch(List<io.millrace.client.proto.SequencedRecord> records) {
                  records.forEach(r -> got.add(Records.bodyText(r)));
                }

                @Override
                public void onReconnect(S2Error cause, long nextSeqNum, int attempt) {
                  reconnects.add(nextSeqNum);
                }
              });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 5);

      server.kill();
      server = startServer();

      // appended after the restart, with match_seq_num so the SDK may retry it
      s.append(Records.appendAt(5, List.of(Records.of("r5"), Records.of("r6"))))
          .toCompletableFuture()
          .join();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> got.size() >= 7);
      session.cancel();
      assertThat(session.done().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo(7);
      assertThat(got).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6");
      assertThat(reconnects).isNotEmpty().allMatch(n -> n == 5);
    } finally {
      client.close();
    }
  }
}
