package io.millrace.engine.lifecycle;

/**
 * How many object deletions one sweep may still make (the sweep's rate limit, with the sweep
 * interval). Used by one sweep at a time, whose steps run one after another.
 */
final class SweepBudget {
  private long left;

  SweepBudget(long deletions) {
    this.left = deletions;
  }

  /** Takes one deletion; false once the budget is spent. */
  boolean take() {
    if (left <= 0) {
      return false;
    }
    left--;
    return true;
  }

  boolean spent() {
    return left <= 0;
  }
}
