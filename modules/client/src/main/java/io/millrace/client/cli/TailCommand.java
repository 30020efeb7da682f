package io.millrace.client.cli;

import io.millrace.client.proto.ReadSessionRequest;
import picocli.CommandLine.Command;

/** {@code millrace tail}: {@code read --follow}, from 10 records before the tail by default. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description =
        "Follow a stream: print records from 10 before the tail (or the given start) and keep"
            + " printing new ones (read --follow).")
public final class TailCommand extends ReadCommand {
  @Override
  ReadSessionRequest.Builder defaultStart(ReadSessionRequest.Builder b) {
    return b.setTailOffset(10);
  }

  @Override
  boolean following() {
    return true;
  }
}
