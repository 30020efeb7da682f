package io.millrace.client.cli;

import com.google.protobuf.FieldMask;
import com.google.protobuf.TextFormat;
import io.millrace.client.MillraceClient;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.BasinState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code millrace basins list|create|delete|config}. */
@Command(
    name = "basins",
    mixinStandardHelpOptions = true,
    description = "List, create, delete and configure basins (over the gRPC API).",
    subcommands = {
      BasinsCommand.ListBasins.class,
      BasinsCommand.Create.class,
      BasinsCommand.Delete.class,
      BasinsCommand.Config.class
    })
public final class BasinsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Basin config flags; unset flags change nothing. */
  static final class BasinConfigOptions {
    @Option(names = "--create-stream-on-append", paramLabel = "true|false", arity = "1")
    Boolean createStreamOnAppend;

    @Option(names = "--create-stream-on-read", paramLabel = "true|false", arity = "1")
    Boolean createStreamOnRead;

    @Mixin StreamConfigOptions defaults;

    BasinConfig build(List<String> mask) {
      BasinConfig.Builder b = BasinConfig.newBuilder();
      if (createStreamOnAppend != null) {
        b.setCreateStreamOnAppend(createStreamOnAppend);
        mask.add("create_stream_on_append");
      }
      if (createStreamOnRead != null) {
        b.setCreateStreamOnRead(createStreamOnRead);
        mask.add("create_stream_on_read");
      }
      int before = mask.size();
      var d = defaults.build("default_stream_config.", mask);
      if (mask.size() > before) {
        b.setDefaultStreamConfig(d);
      }
      return b.build();
    }
  }

  static String state(BasinInfo info) {
    return info.getState() == BasinState.BASIN_STATE_UNSPECIFIED
        ? "unspecified"
        : info.getState().name().substring("BASIN_STATE_".length()).toLowerCase(Locale.ROOT);
  }

  static String text(com.google.protobuf.MessageOrBuilder config) {
    String s = TextFormat.printer().shortDebugString(config);
    return s.isEmpty() ? "(defaults)" : s;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List basins: name and state.")
  static final class ListBasins extends ClientCommand {
    @Option(names = "--prefix", description = "Only basins whose names start with this.")
    String prefix = "";

    @Override
    int run() {
      try (MillraceClient client = options.connect(null)) {
        for (BasinInfo b : await(client.listAllBasins(prefix))) {
          out().println(b.getName() + "\t" + state(b));
        }
      }
      return 0;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a basin.")
  static final class Create extends ClientCommand {
    @Mixin BasinArgument target;

    @Mixin BasinConfigOptions config;

    @Override
    int run() {
      BasinConfig c = config.build(new ArrayList<>());
      try (MillraceClient client = options.connect(null)) {
        BasinInfo info = await(client.createBasin(target.basin, c));
        out().println(info.getName() + "\t" + state(info));
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a basin.")
  static final class Delete extends ClientCommand {
    @Mixin BasinArgument target;

    @Override
    int run() {
      try (MillraceClient client = options.connect(null)) {
        await(client.deleteBasin(target.basin));
        out().println("deleting " + target.basin);
      }
      return 0;
    }
  }

  @Command(
      name = "config",
      mixinStandardHelpOptions = true,
      description =
          "Print a basin's configuration; with flags, change those fields first and print the"
              + " result.")
  static final class Config extends ClientCommand {
    @Mixin BasinArgument target;

    @Mixin BasinConfigOptions config;

    @Override
    int run() {
      List<String> mask = new ArrayList<>();
      BasinConfig c = config.build(mask);
      try (MillraceClient client = options.connect(null)) {
        BasinConfig now =
            mask.isEmpty()
                ? await(client.getBasinConfig(target.basin))
                : await(
                    client.reconfigureBasin(
                        target.basin, c, FieldMask.newBuilder().addAllPaths(mask).build()));
        out().println(text(now));
      }
      return 0;
    }
  }
}
