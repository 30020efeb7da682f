package io.millrace.client.cli;

import io.millrace.client.MillraceClient;
import io.millrace.client.StreamClient;
import picocli.CommandLine.Parameters;

/** The {@code BASIN STREAM} arguments of every command on one stream (a picocli mixin). */
final class StreamArguments {
  @Parameters(index = "0", paramLabel = "BASIN")
  String basin;

  @Parameters(index = "1", paramLabel = "STREAM")
  String stream;

  /** This stream, through {@code client}. */
  StreamClient of(MillraceClient client) {
    return client.basin(basin).stream(stream);
  }
}
