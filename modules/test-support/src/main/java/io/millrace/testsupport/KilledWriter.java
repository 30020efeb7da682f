package io.millrace.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A writer process for crash tests: a child JVM on the test class path that runs a {@code main}
 * which prints {@code acked <name>} after each acknowledged write. It is killed with SIGKILL (on
 * POSIX) once it has acknowledged enough writes, so the test can check what survived.
 */
public final class KilledWriter {
  private static final String ACKED = "acked ";
  private static final long EXIT_LIMIT_SECONDS = 30;

  /**
   * What the writer acknowledged before the kill, and whether it was gone within 30 s of it.
   *
   * @param acked the names after {@code "acked "}, in the order printed
   * @param exitedAfterKill whether the process ended within 30 s of the kill
   */
  public record Outcome(List<String> acked, boolean exitedAfterKill) {}

  private KilledWriter() {}

  /**
   * Runs {@code mainClass} with {@code args} in a child JVM until it has printed {@code acks}
   * acknowledgements (or ended), then kills it (SIGKILL on POSIX). Its stderr is discarded.
   */
  public static Outcome runThenKill(Class<?> mainClass, int acks, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    Process writer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> acked = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (acked.size() < acks && (line = out.readLine()) != null) {
        if (line.startsWith(ACKED)) {
          acked.add(line.substring(ACKED.length()));
        }
      }
      writer.destroyForcibly(); // SIGKILL on POSIX
      boolean exited = writer.waitFor(EXIT_LIMIT_SECONDS, TimeUnit.SECONDS);
      return new Outcome(List.copyOf(acked), exited);
    } finally {
      if (writer.isAlive()) {
        writer.destroyForcibly();
      }
    }
  }
}
