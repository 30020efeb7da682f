package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * Runs the {@code millrace} command line ({@link Main#run}) in the test JVM and keeps what it
 * printed to stdout and stderr, as a user would see it.
 */
final class MainRun {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** Runs {@code millrace args...}; returns the exit code. */
  int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** Runs {@code millrace args...}, which must exit with {@code exitCode}; then {@link #err}. */
  String errOfExit(int exitCode, String... args) {
    assertThat(run(args)).isEqualTo(exitCode);
    return err();
  }

  /** Runs {@code millrace command --help}, which must succeed; then {@link #out}. */
  String help(String command) {
    assertThat(run(command, "--help")).isZero();
    return out();
  }

  /** Everything the runs so far printed to stdout. */
  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Everything the runs so far printed to stderr. */
  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** The config {@code millrace serve args...} would run with, over {@code configFile} if set. */
  static Config serveConfig(Path configFile, String... args) {
    Main.Serve serve = new Main.Serve();
    new CommandLine(serve).parseArgs(args);
    return Main.config(serve.overrides(), configFile);
  }
}
