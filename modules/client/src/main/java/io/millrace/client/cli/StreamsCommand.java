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
import picocli.CommandLine.Parameters;

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
    @Parameters(index = "0", paramLabel = "BASIN")
    String basin;

    @Option(names = "--prefix", description = "Only streams whose names start with this.")
    String prefix = "";

    @Override
    int run() {
      try (MillraceClient client = options.connect(basin)) {
        for (StreamInfo s : await(client.basin(basin).listAllStreams(prefix))) {
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
    @Parameters(index = "0", paramLabel = "BASIN")
    String basin;

    @Parameters(index = "1", paramLabel = "STREAM")
    String stream;

    @Mixin StreamConfigOptions config;

    @Override
    int run() {
      StreamConfig c = config.build("", new ArrayList<>());
      try (MillraceClient client = options.connect(basin)) {
        StreamInfo info = await(client.basin(basin).createStream(stream, c));
        out().println(info.getName());
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a stream.")
  static final class Delete extends ClientCommand {
    @Parameters(index = "0", paramLabel = "BASIN")
    String basin;

    @Parameters(index = "1", paramLabel = "STREAM")
    String stream;

    @Override
    int run() {
      try (MillraceClient client = options.connect(basin)) {
        await(client.basin(basin).deleteStream(stream));
        out().println("deleting " + stream);
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
    @Parameters(index = "0", paramLabel = "BASIN")
    String basin;

    @Parameters(index = "1", paramLabel = "STREAM")
    String stream;

    @Mixin StreamConfigOptions config;

    @Override
    int run() {
      List<String> mask = new ArrayList<>();
      StreamConfig c = config.build("", mask);
      try (MillraceClient client = options.connect(basin)) {
        StreamConfig now =
            mask.isEmpty()
                ? await(client.basin(basin).getStreamConfig(stream))
                : await(
                    client
                        .basin(basin)
                        .reconfigureStream(
                            stream, c, FieldMask.newBuilder().addAllPaths(mask).build()));
        out().println(BasinsCommand.text(now));
      }
      return 0;
    }
  }
}
