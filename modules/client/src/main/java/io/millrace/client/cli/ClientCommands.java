package io.millrace.client.cli;

import java.util.List;
import picocli.CommandLine;

/**
 * The client subcommands of the {@code millrace} command line. modules/server registers them on its
 * {@code Main}; {@link MillraceCli} runs them on their own.
 */
public final class ClientCommands {
  private ClientCommands() {}

  /** The command classes, in help order. */
  public static List<Class<?>> all() {
    return List.of(
        BasinsCommand.class,
        StreamsCommand.class,
        AppendCommand.class,
        ReadCommand.class,
        TailCommand.class,
        CheckTailCommand.class,
        TokensCommand.class,
        BenchCommand.class);
  }

  /** Adds every client subcommand to {@code cli}; call before setting its out and err. */
  public static CommandLine addTo(CommandLine cli) {
    for (Class<?> c : all()) {
      cli.addSubcommand(c);
    }
    return cli;
  }
}
