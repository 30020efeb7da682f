package io.millrace.client.cli;

import picocli.CommandLine.Parameters;

/** The {@code BASIN} argument of every command on one basin (a picocli mixin). */
final class BasinArgument {
  @Parameters(index = "0", paramLabel = "BASIN")
  String basin;
}
