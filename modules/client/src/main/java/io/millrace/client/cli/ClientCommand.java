package io.millrace.client.cli;

import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;
import io.millrace.client.S2Error;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** A client command: connects, runs, prints S2 errors as {@code error: <code>: <message>}. */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin ClientOptions options;
  @Spec CommandLine.Model.CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  abstract int run() throws Exception;

  @Override
  public final Integer call() {
    // Logback prints its own start-up status to standard output when its configuration has a
    // warning; a client command's standard output is its answer, so keep that off it.
    if (System.getProperty("logback.statusListenerClass") == null) {
      System.setProperty(
          "logback.statusListenerClass", "ch.qos.logback.core.status.NopStatusListener");
    }
    // grpc-java's shaded Netty logs through SLF4J when it finds it, which starts Logback (about
    // 500 classes and an XML parse, a third of a second of a launch) for a command that logs
    // nothing; grpc-java itself logs through java.util.logging, so send Netty there too.
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    try {
      return run();
    } catch (IllegalArgumentException e) {
      err().println("error: " + e.getMessage());
      err().flush();
      return 2;
    } catch (Exception e) {
      S2Error s2 = S2Error.from(e);
      err().println("error: " + s2.getMessage());
      err().flush();
      return 1;
    } finally {
      out().flush();
    }
  }

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }
}
