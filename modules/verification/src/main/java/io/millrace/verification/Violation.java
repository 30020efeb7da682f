package io.millrace.verification;

import java.util.List;

/**
 * Why one stream's history is not linearizable: the longest linearizable prefix the search found
 * (operations in linearization order), the stream state after it, and the operations that could not
 * be placed next, each with a one-line reason.
 *
 * <p>A {@linkplain #isContradiction() contradiction} has no prefix and a negative tail: it names
 * two operations that show different records at the same seq num, which no order reconciles.
 */
public record Violation(
    String stream,
    List<Operation> longestPrefix,
    long tailAfterPrefix,
    String tokenAfterPrefix,
    List<Unplaced> unplaced) {

  /** How many prefix operations {@link #render()} shows; earlier ones are summarised. */
  static final int SHOWN_PREFIX = 12;

  /** An operation that could not be placed after the prefix, and why. */
  public record Unplaced(Operation operation, String reason) {}

  public Violation {
    longestPrefix = List.copyOf(longestPrefix);
    unplaced = List.copyOf(unplaced);
  }

  /** Whether this names operations that contradict each other in any order. */
  public boolean isContradiction() {
    return tailAfterPrefix < 0;
  }

  /** An annotated history for a test failure message or a log. */
  public String render() {
    StringBuilder text = new StringBuilder();
    text.append("stream '").append(stream).append("' is not linearizable.\n");
    if (isContradiction()) {
      text.append("  these operations show different records at one seq num, in any order:\n");
      appendUnplaced(text);
      return text.toString();
    }
    text.append("  longest linearizable prefix (")
        .append(longestPrefix.size())
        .append(" operations, in linearization order):\n");
    int skipped = Math.max(0, longestPrefix.size() - SHOWN_PREFIX);
    if (skipped > 0) {
      text.append("    ... ").append(skipped).append(" earlier operations\n");
    }
    for (Operation operation : longestPrefix.subList(skipped, longestPrefix.size())) {
      text.append("    ").append(operation.describe()).append('\n');
    }
    text.append("  then the tail is ")
        .append(tailAfterPrefix)
        .append(" and the fencing token '")
        .append(tokenAfterPrefix)
        .append("', and no operation fits:\n");
    appendUnplaced(text);
    return text.toString();
  }

  private void appendUnplaced(StringBuilder text) {
    for (Unplaced entry : unplaced) {
      text.append("    ")
          .append(entry.operation().describe())
          .append("\n      because ")
          .append(entry.reason())
          .append('\n');
    }
  }
}
