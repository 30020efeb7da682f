package io.millrace.testsupport;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real service (Cassandra or S3Proxy) started once per test JVM by {@code
 * deploy/services/services.sh} (which resolves it from Maven Central if its cache is empty), on a
 * free port with a fresh work directory under {@code target/}, and stopped when the JVM exits. If
 * the JVM dies without its shutdown hooks, the script's owner-pid watchdog stops the service.
 *
 * <p>Shared by the contract ITs of the objectstore (S3Proxy) and metadata (Cassandra) modules and
 * by the cluster test in modules/it, which also stops and restarts services mid-run.
 */
public final class ServiceProcess {
  private static final long START_LIMIT_SECONDS = 600;

  private final String service;
  private final String name;
  private final Path script;
  private final Path workDir;
  private final int port;

  private ServiceProcess(String service, String name, Path script, Path workDir, int port) {
    this.service = service;
    this.name = name;
    this.script = script;
    this.workDir = workDir;
    this.port = port;
  }

  /**
   * Starts {@code service} (with extra services.sh options) and registers its stop at JVM exit;
   * fails the caller clearly.
   */
  public static ServiceProcess start(String service, String... options) {
    return startNamed(service, service, options);
  }

  /**
   * The same, with {@code name} naming its work directory and logs under {@code target/services/}
   * (so that one JVM can keep services of the same kind apart).
   */
  public static ServiceProcess startNamed(String name, String service, String... options) {
    Path script = findScript();
    int port = freePort();
    Path workDir =
        Path.of("target", "services", name + "-" + ProcessHandle.current().pid()).toAbsolutePath();
    ServiceProcess p = new ServiceProcess(service, name, script, workDir, port);
    p.startAgain(options);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> p.runQuietly("stop"), "stop-" + name));
    return p;
  }

  /** Stops the service (SIGTERM); its data stays in its work directory. */
  public void stop() {
    System.out.println(run("stop").strip());
  }

  /**
   * Starts the service on its port over its work directory: the first start, or again after {@link
   * #stop} (with the same data).
   */
  public void startAgain(String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                Integer.toString(port),
                "--owner-pid",
                Long.toString(ProcessHandle.current().pid())));
    args.addAll(List.of(options));
    System.out.println(run("start", args.toArray(new String[0])).strip());
  }

  /** The service's work directory (its configuration and data). */
  public Path workDir() {
    return workDir;
  }

  /** The port the service listens on. */
  public int port() {
    return port;
  }

  private String run(String action, String... args) {
    List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), action, service));
    cmd.add("--dir");
    cmd.add(workDir.toString());
    cmd.addAll(List.of(args));
    try {
      Files.createDirectories(workDir);
      Path log = workDir.resolveSibling(name + "-" + action + ".log");
      Process process =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!process.waitFor(START_LIMIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "services.sh " + action + " " + service + " did not finish in time");
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "services.sh " + action + " " + service + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  private void runQuietly(String action) {
    try {
      run(action);
    } catch (RuntimeException e) {
      System.err.println(e.getMessage());
    }
  }

  /** deploy/services/services.sh in the first directory upwards from here that has it. */
  private static Path findScript() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("deploy/services/services.sh");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "deploy/services/services.sh not found above " + Path.of("").toAbsolutePath());
  }

  /** A port that was free a moment ago (for a service to start on, or as a closed port). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
