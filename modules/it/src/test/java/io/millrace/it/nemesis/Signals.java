package io.millrace.it.nemesis;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** {@code kill -STOP} / {@code kill -CONT} of one process, by its id. */
final class Signals {
  private Signals() {}

  /** SIGSTOP: every thread of the process stops on the spot; its sockets stay open. */
  static void pause(long pid) {
    send(pid, "STOP");
  }

  /** SIGCONT after {@link #pause}. */
  static void resume(long pid) {
    send(pid, "CONT");
  }

  private static void send(long pid, String signal) {
    if (!alive(pid)) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || (kill.exitValue() != 0 && alive(pid))) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + signal, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
