package io.millrace.verification;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a {@link History} of S2 stream operations is linearizable with respect to {@link
 * StreamModel}.
 *
 * <p>The search is the Wing and Gong algorithm as improved by Lowe (the one Porcupine uses): lay
 * the calls and returns out in time order as a doubly-linked list; repeatedly take the earliest
 * pending call whose operation the model accepts at the current state, lift its call and return out
 * of the list and push it on a stack; when a return is reached before its call was lifted, the
 * operations on the stack cannot all be right, so pop the last one, put it back and try the next
 * call after it. The history is linearizable when every operation with a definite outcome has been
 * lifted.
 *
 * <p>Streams are independent, so each stream's operations are searched separately. The search
 * remembers every (set of lifted operations, model state) pair it has reached and never enters one
 * twice. An indefinite append's return is placed at +infinity: it may be lifted anywhere after its
 * call, and it need not be lifted at all. Failed operations and indefinite reads and check-tails
 * carry no information and are dropped. The search gives up with {@link CheckResult.Unknown} after
 * {@link Settings#maxStepsPerStream()} steps on one stream or when {@link Settings#timeout()} has
 * passed in total.
 */
public final class LinearizabilityChecker {

  /**
   * Search limits.
   *
   * @param maxStepsPerStream list entries visited on one stream before giving up
   * @param timeout wall-clock budget for the whole history
   */
  public record Settings(long maxStepsPerStream, Duration timeout) {
    public Settings {
      if (maxStepsPerStream <= 0) {
        throw new IllegalArgumentException("maxStepsPerStream must be positive");
      }
      Objects.requireNonNull(timeout);
    }

    public static Settings defaults() {
      return new Settings(50_000_000L, Duration.ofMinutes(2));
    }
  }

  private final Settings settings;

  public LinearizabilityChecker() {
    this(Settings.defaults());
  }

  public LinearizabilityChecker(Settings settings) {
    this.settings = Objects.requireNonNull(settings);
  }

  public CheckResult check(History history) {
    long deadline = System.nanoTime() + settings.timeout().toNanos();
    List<Violation> violations = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    long steps = 0;
    for (Map.Entry<String, List<Operation>> stream : history.byStream().entrySet()) {
      StreamSearch search =
          new StreamSearch(
              stream.getKey(), stream.getValue(), settings.maxStepsPerStream(), deadline);
      StreamVerdict verdict = search.run();
      steps += search.steps;
      if (verdict instanceof Violated violated) {
        violations.add(violated.violation());
      } else if (verdict instanceof GaveUp gaveUp) {
        unknown.add("stream '" + stream.getKey() + "': " + gaveUp.reason());
      }
    }
    if (!violations.isEmpty()) {
      return new CheckResult.NotLinearizable(violations);
    }
    if (!unknown.isEmpty()) {
      return new CheckResult.Unknown(String.join("; ", unknown));
    }
    return new CheckResult.Linearizable(history.operations().size(), steps);
  }

  private sealed interface StreamVerdict {}

  private record Linearized() implements StreamVerdict {}

  private record Violated(Violation violation) implements StreamVerdict {}

  private record GaveUp(String reason) implements StreamVerdict {}

  /** A visited search node: which operations are linearized, and the model state they led to. */
  private static final class Visited {
    private final long[] linearized;
    private final StreamModel.State state;
    private final int hash;

    Visited(long[] linearized, StreamModel.State state) {
      this.linearized = linearized;
      this.state = state;
      this.hash = 31 * Arrays.hashCode(linearized) + state.hashCode();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Visited visited
          && hash == visited.hash
          && state.equals(visited.state)
          && Arrays.equals(linearized, visited.linearized);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /**
   * The search over one stream. Entry {@code 2 * i} is the call of operation {@code i}, entry
   * {@code 2 * i + 1} its return; two sentinels close the list.
   */
  private static final class StreamSearch {
    private static final long NEVER = Long.MAX_VALUE;

    private final String stream;
    private final List<Operation> operations;
    private final long maxSteps;
    private final long deadline;
    private final long[] returnTimes;
    private final int[] order;
    private final int[] next;
    private final int[] prev;
    private final int head;
    private final int end;
    long steps;

    StreamSearch(String stream, List<Operation> all, long maxSteps, long deadline) {
      this.stream = stream;
      this.operations = all.stream().filter(StreamSearch::informative).toList();
      this.maxSteps = maxSteps;
      this.deadline = deadline;
      int count = operations.size();
      returnTimes = new long[count];
      long[] callTimes = new long[count];
      for (int i = 0; i < count; i++) {
        Operation operation = operations.get(i);
        callTimes[i] = operation.invokedAt();
        returnTimes[i] = operation.isIndefinite() ? NEVER : operation.completedAt();
      }
      // Time order; at equal times calls come first, which treats the two as concurrent.
      order =
          java.util.stream.IntStream.range(0, 2 * count)
              .boxed()
              .sorted(
                  (a, b) -> {
                    long timeA = (a & 1) == 0 ? callTimes[a >> 1] : returnTimes[a >> 1];
                    long timeB = (b & 1) == 0 ? callTimes[b >> 1] : returnTimes[b >> 1];
                    if (timeA != timeB) {
                      return Long.compare(timeA, timeB);
                    }
                    if ((a & 1) != (b & 1)) {
                      return (a & 1) - (b & 1);
                    }
                    return Integer.compare(a, b);
                  })
              .mapToInt(Integer::intValue)
              .toArray();
      head = 2 * count;
      end = 2 * count + 1;
      next = new int[2 * count + 2];
      prev = new int[2 * count + 2];
      int last = head;
      for (int entry : order) {
        next[last] = entry;
        prev[entry] = last;
        last = entry;
      }
      next[last] = end;
      prev[end] = last;
    }

    private static boolean informative(Operation operation) {
      if (operation.outcome() instanceof Outcome.Failed) {
        return false;
      }
      return !operation.isIndefinite() || operation.call() instanceof Call.Append;
    }

    StreamVerdict run() {
      int count = operations.size();
      StreamModel model = new StreamModel();
      long[] linearized = new long[(count + 63) / 64];
      Set<Visited> visited = new HashSet<>();
      int[] stackEntries = new int[count];
      StreamModel.State[] stackStates = new StreamModel.State[count];
      int depth = 0;
      int[] best = new int[0];

      int entry = next[head];
      while (true) {
        if (++steps > maxSteps) {
          return new GaveUp("no verdict after " + maxSteps + " steps");
        }
        if ((steps & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
          return new GaveUp("no verdict before the timeout, after " + steps + " steps");
        }
        if (entry == end) {
          return new Linearized();
        }
        int operation = entry >> 1;
        if ((entry & 1) == 0) {
          StreamModel.State before = model.state();
          if (model.tryApply(operations.get(operation)) == null) {
            long[] after = linearized.clone();
            after[operation >> 6] |= 1L << operation;
            if (visited.add(new Visited(after, model.state()))) {
              linearized = after;
              stackEntries[depth] = entry;
              stackStates[depth] = before;
              depth++;
              if (depth > best.length) {
                best = Arrays.copyOf(stackEntries, depth);
              }
              lift(entry);
              entry = next[head];
              continue;
            }
            model.restore(before);
          }
          entry = next[entry];
        } else {
          if (returnTimes[operation] == NEVER) {
            // Every definite operation has been lifted; the indefinite ones left never happened.
            return new Linearized();
          }
          if (depth == 0) {
            return new Violated(explain(best));
          }
          depth--;
          int call = stackEntries[depth];
          model.restore(stackStates[depth]);
          linearized = linearized.clone();
          linearized[(call >> 1) >> 6] &= ~(1L << (call >> 1));
          unlift(call);
          entry = next[call];
        }
      }
    }

    /** Takes an operation's call and return out of the list. */
    private void lift(int call) {
      remove(call);
      remove(call + 1);
    }

    /** Puts them back, in the reverse order of {@link #lift}. */
    private void unlift(int call) {
      reinsert(call + 1);
      reinsert(call);
    }

    private void remove(int entry) {
      next[prev[entry]] = next[entry];
      prev[next[entry]] = prev[entry];
    }

    private void reinsert(int entry) {
      next[prev[entry]] = entry;
      prev[next[entry]] = entry;
    }

    /**
     * Replays the longest prefix the search linearized, then says for every operation that could
     * come next (called before the first outstanding return) why it cannot.
     */
    private Violation explain(int[] bestEntries) {
      StreamModel model = new StreamModel();
      boolean[] placed = new boolean[operations.size()];
      List<Operation> prefix = new ArrayList<>();
      for (int entry : bestEntries) {
        Operation operation = operations.get(entry >> 1);
        if (model.tryApply(operation) != null) {
          throw new IllegalStateException(
              "the prefix the search found does not replay: " + operation);
        }
        placed[entry >> 1] = true;
        prefix.add(operation);
      }
      StreamModel.State state = model.state();
      List<Violation.Unplaced> unplaced = new ArrayList<>();
      for (int entry : order) {
        int index = entry >> 1;
        if (placed[index]) {
          continue;
        }
        Operation operation = operations.get(index);
        if ((entry & 1) == 1) {
          break;
        }
        if (operation.isIndefinite()) {
          continue;
        }
        String reason = model.tryApply(operation);
        if (reason == null) {
          model.restore(state);
          reason =
              "it fits here, but no order of the remaining operations fits after it"
                  + " (the search explored them all)";
        }
        unplaced.add(new Violation.Unplaced(operation, reason));
      }
      return new Violation(stream, prefix, state.tail(), state.token(), unplaced);
    }
  }
}
