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

/**
 * The built server jar running as a child JVM: {@code java -jar millrace.jar serve --host 127.0.0.1
 * --port P --data-dir D}. Output goes to a log file. {@link #start} returns once {@code GET
 * /health} answers 200; {@link #kill()} sends SIGKILL, {@link #stop()} SIGTERM.
 */
public final class ServerProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final URI baseUri;
  private final Path logFile;

  private ServerProcess(Process process, URI baseUri, Path logFile) {
    this.process = process;
    this.baseUri = baseUri;
    this.logFile = logFile;
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
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "server jar not found at " + jar.toAbsolutePath() + "; build it with mvn -B package");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.addAll(
        List.of(
            "-jar",
            jar.toAbsolutePath().toString(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(port),
            "--data-dir",
            dataDir.toAbsolutePath().toString()));
    try {
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      Files.createDirectories(dataDir);
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
      ServerProcess server =
          new ServerProcess(process, URI.create("http://127.0.0.1:" + port), logFile);
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + command, e);
    }
  }

  private void awaitReady() {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    HttpRequest health =
        HttpRequest.newBuilder(baseUri.resolve("/health")).timeout(Duration.ofSeconds(2)).build();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "server exited with " + process.exitValue() + " before it was ready:\n" + logTail());
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
        throw new IllegalStateException("interrupted while waiting for the server", e);
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException(
            "server not ready within " + READY_TIMEOUT + ":\n" + logTail());
      }
      sleep(100);
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
