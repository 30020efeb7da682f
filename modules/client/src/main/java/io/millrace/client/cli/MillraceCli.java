package io.millrace.client.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The client commands on their own (millrace.jar has them next to {@code serve}). */
@Command(
    name = "millrace",
    mixinStandardHelpOptions = true,
    version = "Millrace 0.1.0",
    description = "Millrace client commands over the S2 v1alpha gRPC API.")
public final class MillraceCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs {@code args}; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli = ClientCommands.addTo(new CommandLine(new MillraceCli()));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
