package io.millrace.http;

import java.util.List;

/**
 * What {@code GET /health} on the S2 port answers: 503 {@code unavailable} naming the reasons while
 * the node is not ready; 200 {@code OK} when it is and nothing is wrong; 200 {@code degraded: ...}
 * when it serves but found damage an operator must look at (for example a stream whose WAL lost a
 * chunk: that stream answers {@code data_loss}, every other stream works).
 *
 * @param ready whether the node serves clients
 * @param problems why it is not ready (when not ready) or what is degraded (when ready)
 */
public record EdgeHealth(boolean ready, List<String> problems) {
  public EdgeHealth {
    problems = List.copyOf(problems);
  }

  /** Ready with nothing wrong, or not ready for no stated reason. */
  public static EdgeHealth of(boolean ready) {
    return new EdgeHealth(ready, List.of());
  }
}
