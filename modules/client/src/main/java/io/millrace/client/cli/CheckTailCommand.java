package io.millrace.client.cli;

import io.millrace.client.MillraceClient;
import io.millrace.client.proto.CheckTailResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code millrace check-tail BASIN STREAM}. */
@Command(
    name = "check-tail",
    mixinStandardHelpOptions = true,
    description =
        "Print the stream's tail: the next seq num, a tab, and the timestamp (ms) of the last"
            + " record.")
public final class CheckTailCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "BASIN")
  String basin;

  @Parameters(index = "1", paramLabel = "STREAM")
  String stream;

  @Override
  int run() {
    try (MillraceClient client = options.connect(basin)) {
      CheckTailResponse tail = await(client.basin(basin).stream(stream).checkTail());
      out()
          .println(
              Long.toUnsignedString(tail.getNextSeqNum())
                  + "\t"
                  + Long.toUnsignedString(tail.getLastTimestamp()));
    }
    return 0;
  }
}
