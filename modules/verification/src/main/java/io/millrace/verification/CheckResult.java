package io.millrace.verification;

import java.util.List;
import java.util.stream.Collectors;

/** The verdict on a history. */
public sealed interface CheckResult {

  /** Whether the verdict is {@link Linearizable}. */
  default boolean isLinearizable() {
    return this instanceof Linearizable;
  }

  /** Every stream's operations have a linearization consistent with the stream specification. */
  record Linearizable(int operations, long steps) implements CheckResult {
    @Override
    public String toString() {
      return "linearizable (" + operations + " operations, " + steps + " search steps)";
    }
  }

  /** At least one stream's operations have no linearization; one violation per such stream. */
  record NotLinearizable(List<Violation> violations) implements CheckResult {
    public NotLinearizable {
      violations = List.copyOf(violations);
    }

    @Override
    public String toString() {
      return violations.stream().map(Violation::render).collect(Collectors.joining("\n"));
    }
  }

  /**
   * The search hit its step or time limit before reaching a verdict on some stream (and found no
   * violation on the others).
   */
  record Unknown(String reason) implements CheckResult {
    @Override
    public String toString() {
      return "unknown: " + reason;
    }
  }
}
