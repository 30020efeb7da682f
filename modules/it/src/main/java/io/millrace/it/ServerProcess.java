package io.millrace.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The built server jar running as a child JVM: {@code java -jar millrace.jar serve --host 127.0.0.1
 * --port P --data-dir D}. Output goes to a log file. {@link #start} returns once {@code GET
 * /health} answers 200; {@link #kill()} sends SIGKILL, {@link #stop()} SIGTERM.
 */
public final class ServerProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private static final String TOKEN_EXPORT = "export S2_ACCESS_TOKEN=";

  private final Process process;
  private final URI baseUri;
  private final Path logFile;
  private String accessToken;

  private ServerProcess(Process process, URI baseUri, Path logFile) {
    this.process = process;
    this.baseUri = baseUri;
    this.logFile = logFile;
  }

  /**
   * The bearer token the server printed in its {@code export S2_ACCESS_TOKEN=...} line (its root
   * token, kept in the data dir across restarts).
   */
  public String accessToken() {
    return accessToken;
  }

  /**
   * The server jar named by the system property {@code millrace.jar} (set by the build), else
   * {@code modules/server/target/millrace.jar} relative to the repository root or this module.
   */
  public static Path defaultJar() {
    String prop = System.getProperty("millrace.jar");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop);
    }
    Path fromRoot = Path.of("modules", "server", "target", "millrace.jar");
    if (Files.exists(fromRoot)) {
      return fromRoot;
    }
    return Path.of("..", "server", "target", "millrace.jar");
  }

  /** A TCP port that is free right now on the loopback interface. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /**
   * Starts the server on {@code dataDir} and {@code port} and waits until it is ready.
   *
   * @param jvmArgs extra JVM options for the child, e.g. {@code -Xmx1g}
   */
  public static ServerProcess start(
      Path jar, Path dataDir, int port, Path logFile, List<String> jvmArgs) {
    return start(jar, dataDir, port, logFile, jvmArgs, List.of());
  }

  /**
   * Starts the server like {@link #start(Path, Path, int, Path, List)} with more {@code serve}
   * options, e.g. {@code --grpc-port P}.
   */
  public static ServerProcess start(
      Path jar, Path dataDir, int port, Path logFile, List<String> jvmArgs, List<String> extra) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new IllegalStateException("could not create " + dataDir, e);
    }
    Process process =
        launch(
            jar,
            jvmArgs,
            Stream.concat(
                    Stream.of(
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--data-dir",
                        dataDir.toAbsolutePath().toString()),
                    extra.stream())
                .toList(),
            logFile);
    ServerProcess server =
        new ServerProcess(process, URI.create("http://127.0.0.1:" + port), logFile);
    server.awaitReady();
    return server;
  }

  /**
   * Starts {@code java jvmArgs... -jar jar serve serveArgs...} with its output appended to {@code
   * logFile}; does not wait for it to be ready.
   */
  public static Process launch(
      Path jar, List<String> jvmArgs, List<String> serveArgs, Path logFile) {
    return launch(jar, jvmArgs, serveArgs, java.util.Map.of(), logFile);
  }

  /** As {@link #launch(Path, List, List, Path)}, with {@code env} added to the environment. */
  public static Process launch(
      Path jar,
      List<String> jvmArgs,
      List<String> serveArgs,
      java.util.Map<String, String> env,
      Path logFile) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "server jar not found at " + jar.toAbsolutePath() + "; build it with mvn -B package");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "serve"));
    command.addAll(serveArgs);
    try {
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(env);
      return builder
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + command, e);
    }
  }

  private void awaitReady() {
    try {
      awaitHealthy(process, baseUri, READY_TIMEOUT, "server", logFile);
      accessToken = awaitPrintedToken(process, logFile, Duration.ofSeconds(30));
    } catch (IllegalStateException e) {
      if (process.isAlive() && !Thread.currentThread().isInterrupted()) {
        kill();
      }
      throw e;
    }
  }

  /**
   * Waits until {@code GET /health} of {@code baseUri} answers 200; fails, naming the process
   * {@code name} and quoting the end of {@code logFile}, if the process exits first or {@code
   * timeout} passes.
   */
  public static void awaitHealthy(
      Process process, URI baseUri, Duration timeout, String name, Path logFile) {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest health =
        HttpRequest.newBuilder(baseUri.resolve("/health")).timeout(Duration.ofSeconds(2)).build();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name
                + " exited with "
                + process.exitValue()
                + " before it was ready:\n"
                + logTail(logFile));
      }
      try {
        HttpResponse<Void> res = client.send(health, HttpResponse.BodyHandlers.discarding());
        if (res.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + name, e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            name + " not ready within " + timeout + ":\n" + logTail(logFile));
      }
      sleep(100);
    }
  }

  /**
   * The token of the last {@code export S2_ACCESS_TOKEN=...} line in {@code logFile} (the server
   * prints it just after it becomes ready), waiting up to {@code timeout} for it.
   */
  public static String awaitPrintedToken(Process process, Path logFile, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String token = null;
      try {
        for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
          if (line.startsWith(TOKEN_EXPORT)) {
            token = line.substring(TOKEN_EXPORT.length()).trim();
          }
        }
      } catch (IOException e) {
        // not written yet
      }
      if (token != null && !token.isEmpty()) {
        return token;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the server printed no S2_ACCESS_TOKEN export:\n" + logTail(logFile));
      }
      sleep(50);
    }
  }

  /** The server's base URL, e.g. {@code http://127.0.0.1:4321}. */
  public URI baseUri() {
    return baseUri;
  }

  /** The OS process id of the server JVM. */
  public long pid() {
    return process.pid();
  }

  /** Kills the server with SIGKILL and waits until it is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /** Asks the server to shut down (SIGTERM); kills it if it is still running after 30 s. */
  public void stop() {
    process.destroy();
    if (!awaitExit(Duration.ofSeconds(30))) {
      kill();
    }
  }

  private boolean awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The last few KiB of the server's output, for failure messages. */
  public String logTail() {
    return logTail(logFile);
  }

  /** The last few KiB of {@code logFile}, for failure messages. */
  public static String logTail(Path logFile) {
    try {
      String text = Files.readString(logFile, StandardCharsets.UTF_8);
      return text.substring(Math.max(0, text.length() - 4000));
    } catch (IOException e) {
      return "(no log at " + logFile + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /** Deletes {@code dir} and everything under it, best effort (a benchmark's data dir). */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
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

  /** Sleeps {@code millis}; an interrupt keeps the thread's flag and fails the caller. */
  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
