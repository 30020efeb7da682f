package io.millrace.client.cli;

import com.google.protobuf.FieldMask;
import io.millrace.client.MillraceClient;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.StreamInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code millrace streams list|create|delete|config}. */
@Command(
    name = "streams",
    mixinStandardHelpOptions = true,
    description = "List, create, delete and configure the streams of a basin (over the gRPC API).",
    subcommands = {
      StreamsCommand.ListStreams.class,
      StreamsCommand.Create.class,
      StreamsCommand.Delete.class,
      StreamsCommand.Config.class
    })
public final class StreamsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List streams: name, creation time, and 'deleting' for streams being deleted.")
  static final class ListStreams extends ClientCommand {
    @Mixin BasinArgument target;

    @Option(names = "--prefix", description = "Only streams whose names start with this.")
    String prefix = "";

    @Override
    int run() {
      try (MillraceClient client = options.connect(target.basin)) {
        for (StreamInfo s : await(client.basin(target.basin).listAllStreams(prefix))) {
          out()
              .println(
                  s.getName()
                      + "\t"
                      + Instant.ofEpochSecond(Integer.toUnsignedLong(s.getCreatedAt()))
                      + (s.hasDeletedAt() ? "\tdeleting" : ""));
        }
      }
      return 0;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a stream.")
  static final class Create extends ClientCommand {
    @Mixin StreamArguments target;

    @Mixin StreamConfigOptions config;

    @Override
    int run() {
      StreamConfig c = config.build("", new ArrayList<>());
      try (MillraceClient client = options.connect(target.basin)) {
        StreamInfo info = await(client.basin(target.basin).createStream(target.stream, c));
        out().println(info.getName());
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a stream.")
  static final class Delete extends ClientCommand {
    @Mixin StreamArguments target;

    @Override
    int run() {
      try (MillraceClient client = options.connect(target.basin)) {
        await(client.basin(target.basin).deleteStream(target.stream));
        out().println("deleting " + target.stream);
      }
      return 0;
    }
  }

  @Command(
      name = "config",
      mixinStandardHelpOptions = true,
      description =
          "Print a stream's configuration; with flags, change those fields first and print the"
              + " result.")
  static final class Config extends ClientCommand {
    @Mixin StreamArguments target;

    @Mixin StreamConfigOptions config;

    @Override
    int run() {
      List<String> mask = new ArrayList<>();
      StreamConfig c = config.build("", mask);
      try (MillraceClient client = options.connect(target.basin)) {
        StreamConfig now =
            mask.isEmpty()
                ? await(client.basin(target.basin).getStreamConfig(target.stream))
                : await(
                    client
                        .basin(target.basin)
                        .reconfigureStream(
                            target.stream, c, FieldMask.newBuilder().addAllPaths(mask).build()));
        out().println(BasinsCommand.text(now));
      }
      return 0;
    }
  }
}
