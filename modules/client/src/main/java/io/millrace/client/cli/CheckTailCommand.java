package io.millrace.client.cli;

import io.millrace.client.MillraceClient;
import io.millrace.client.proto.CheckTailResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code millrace check-tail BASIN STREAM}. */
@Command(
    name = "check-tail",
    mixinStandardHelpOptions = true,
    description =
        "Print the stream's tail: the next seq num, a tab, and the timestamp (ms) of the last"
            + " record.")
public final class CheckTailCommand extends ClientCommand {
  @Mixin StreamArguments target;

  @Override
  int run() {
    try (MillraceClient client = options.connect(target.basin)) {
      CheckTailResponse tail = await(target.of(client).checkTail());
      out()
          .println(
              Long.toUnsignedString(tail.getNextSeqNum())
                  + "\t"
                  + Long.toUnsignedString(tail.getLastTimestamp()));
    }
    return 0;
  }
}
