package io.millrace.verification;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;

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
 *
 * <p>Two sound prunings (see {@code StreamSearch}) keep indefinite appends that never took effect
 * from making the search exponential: the tail may not pass a tail that a pending operation
 * observes, and an append may not put a record where a definite ack or read shows another. Two
 * definite operations showing different records at one seq num are reported as a contradiction
 * without searching. Once a stream is known to be bad, an unpruned search with a small budget looks
 * for a longer prefix to explain it with.
 *
 * <p>Thread-safe: the checker holds only its settings; each call builds its own search state.
 */
public final class LinearizabilityChecker {

  /**
   * Search limits.
   *
   * @param maxStepsPerStream list entries visited on one stream before giving up
   * @param timeout wall-clock budget for the whole history
   * @param explanationSteps steps (at most one second) the unpruned search may take, once a stream
   *     is known to be bad, to find a longer prefix and more direct reasons; 0 skips it
   */
  public record Settings(long maxStepsPerStream, Duration timeout, long explanationSteps) {
    public Settings {
      if (maxStepsPerStream <= 0) {
        throw new IllegalArgumentException("maxStepsPerStream must be positive");
      }
      if (explanationSteps < 0) {
        throw new IllegalArgumentException("explanationSteps must not be negative");
      }
      Objects.requireNonNull(timeout);
    }

    public Settings(long maxStepsPerStream, Duration timeout) {
      this(maxStepsPerStream, timeout, 200_000L);
    }

    public static Settings defaults() {
      return new Settings(50_000_000L, Duration.ofMinutes(2));
    }
  }

  /** Time the unpruned search may take to improve the explanation of a violation. */
  static final long EXPLANATION_NANOS = Duration.ofSeconds(1).toNanos();

  private final Settings settings;
  private final boolean prune;

  public LinearizabilityChecker() {
    this(Settings.defaults());
  }

  public LinearizabilityChecker(Settings settings) {
    this(settings, true);
  }

  private LinearizabilityChecker(Settings settings, boolean prune) {
    this.settings = Objects.requireNonNull(settings);
    this.prune = prune;
  }

  /** The plain search without pruning or the contradiction shortcut, to test the pruning. */
  static LinearizabilityChecker withoutPruning(Settings settings) {
    return new LinearizabilityChecker(settings, false);
  }

  public CheckResult check(History history) {
    long deadline = System.nanoTime() + settings.timeout().toNanos();
    List<Violation> violations = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    long steps = 0;
    for (Map.Entry<String, List<Operation>> stream : history.byStream().entrySet()) {
      StreamSearch search =
          new StreamSearch(
              stream.getKey(), stream.getValue(), settings.maxStepsPerStream(), deadline, prune);
      StreamVerdict verdict = search.run();
      steps += search.steps;
      if (verdict instanceof Violated && prune && settings.explanationSteps() > 0) {
        // The pruned search is quick to a verdict, but its longest prefix stops early: the
        // pruning refuses steps whose contradiction lies ahead. An unpruned search, if it finishes
        // in a bounded number of steps, finds the longer prefix and more direct reasons.
        StreamSearch plain =
            new StreamSearch(
                stream.getKey(),
                stream.getValue(),
                Math.min(settings.maxStepsPerStream(), settings.explanationSteps()),
                Math.min(deadline, System.nanoTime() + EXPLANATION_NANOS),
                false);
        StreamVerdict explained = plain.run();
        steps += plain.steps;
        if (explained instanceof Violated) {
          verdict = explained;
        }
      }
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
    private final boolean prune;
    private final long[] bounds;
    private final TreeMap<Long, Integer> pendingBounds = new TreeMap<>();
    private final Map<Long, Long> observed = new HashMap<>();
    private final Map<Long, Operation> observedBy = new HashMap<>();

    /**
     * Two definite operations that show different records at one seq num, if any: a record never
     * moves, so no order satisfies both and the search is not needed for the verdict.
     */
    private Violation contradiction;

    long steps;

    StreamSearch(String stream, List<Operation> all, long maxSteps, long deadline, boolean prune) {
      this.stream = stream;
      this.prune = prune;
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
          IntStream.range(0, 2 * count)
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
      boolean trimsPossible =
          operations.stream()
              .anyMatch(
                  o ->
                      o.call() instanceof Call.Append append
                          && append.records().stream()
                              .anyMatch(r -> r instanceof AppendRecord.Trim));
      bounds = new long[count];
      for (int i = 0; i < count; i++) {
        bounds[i] =
            prune
                ? StreamModel.maxTailWhilePending(operations.get(i), trimsPossible)
                : Long.MAX_VALUE;
        addBound(i);
        if (prune) {
          observe(operations.get(i));
        }
      }
    }

    /*
     * Pruning, second rule: a record, once at a seq num, stays there. Every ack and every read
     * with a definite outcome must be linearized, so whatever record it shows at a seq num is the
     * record at that seq num in every valid linearization. An append that would put another
     * record there leads nowhere and is not tried. This is what keeps indefinite appends that
     * never took effect out of the positions that other, observed records hold.
     */

    private void observe(Operation operation) {
      if (operation.outcome() instanceof Outcome.Acked acked
          && operation.call() instanceof Call.Append append
          && acked.end() - acked.start() == append.records().size()) {
        for (int i = 0; i < append.records().size(); i++) {
          observe(acked.start() + i, append.records().get(i).hash(), operation);
        }
      } else if (operation.outcome() instanceof Outcome.Records records) {
        for (SequencedRecord record : records.records()) {
          observe(record.seqNum(), record.hash(), operation);
        }
      }
    }

    private void observe(long seqNum, long hash, Operation operation) {
      Long earlier = observed.putIfAbsent(seqNum, hash);
      if (earlier == null) {
        observedBy.put(seqNum, operation);
      } else if (earlier != hash && contradiction == null) {
        Operation first = observedBy.get(seqNum);
        contradiction =
            new Violation(
                stream,
                List.of(),
                -1,
                "",
                List.of(
                    new Violation.Unplaced(
                        first, "it shows " + StreamModel.hex(earlier) + " at seq " + seqNum),
                    new Violation.Unplaced(
                        operation, "it shows " + StreamModel.hex(hash) + " at seq " + seqNum)));
      }
    }

    /** Whether the records the operation appended, if it did, agree with observations. */
    private boolean fitsObservations(
        Operation operation, StreamModel.State before, StreamModel.State after) {
      if (!(operation.call() instanceof Call.Append append) || after.tail() == before.tail()) {
        return true;
      }
      long from = before.tail();
      for (int i = 0; i < append.records().size(); i++) {
        Long seen = observed.get(from + i);
        if (seen != null && seen != append.records().get(i).hash()) {
          return false;
        }
      }
      return true;
    }

    /*
     * Pruning: an operation that observes the tail (an ack, a 412 seq_num_mismatch, a check-tail,
     * a read reporting a tail or reaching it) needs the tail to be that value (or at most that
     * value) when it takes effect. The tail never decreases, so while the operation is pending the
     * tail must stay at or below that value. An append that would move the tail past the
     * smallest bound of the pending operations leads nowhere and is not tried. Without this,
     * every indefinite append that never took effect would be tried at every later point, in
     * every combination with the others.
     */

    private void addBound(int operation) {
      if (bounds[operation] != Long.MAX_VALUE) {
        pendingBounds.merge(bounds[operation], 1, Integer::sum);
      }
    }

    private void dropBound(int operation) {
      if (bounds[operation] != Long.MAX_VALUE) {
        pendingBounds.compute(bounds[operation], (bound, n) -> n == 1 ? null : n - 1);
      }
    }

    private boolean withinBounds(StreamModel.State state) {
      return !prune || pendingBounds.isEmpty() || state.tail() <= pendingBounds.firstKey();
    }

    private static boolean informative(Operation operation) {
      if (operation.outcome() instanceof Outcome.Failed) {
        return false;
      }
      return !operation.isIndefinite() || operation.call() instanceof Call.Append;
    }

    StreamVerdict run() {
      if (contradiction != null) {
        return new Violated(contradiction);
      }
      int count = operations.size();
      StreamModel model = new StreamModel();
      long[] linearized = new long[(count + 63) / 64];
      Set<Visited> visited = new HashSet<>();
      int[] stackEntries = new int[count];
      StreamModel.State[] stackStates = new StreamModel.State[count];
      int depth = 0;
      int definite = 0;
      int bestDefinite = -1;
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
          dropBound(operation);
          if (model.tryApply(operations.get(operation)) == null) {
            if (withinBounds(model.state())
                && fitsObservations(operations.get(operation), before, model.state())) {
              long[] after = linearized.clone();
              after[operation >> 6] |= 1L << operation;
              if (visited.add(new Visited(after, model.state()))) {
                linearized = after;
                stackEntries[depth] = entry;
                stackStates[depth] = before;
                depth++;
                if (returnTimes[operation] != NEVER && ++definite > bestDefinite) {
                  // The longest prefix counts definite operations only: indefinite ones that
                  // never took effect can pad any prefix.
                  bestDefinite = definite;
                  best = Arrays.copyOf(stackEntries, depth);
                }
                lift(entry);
                entry = next[head];
                continue;
              }
            }
            model.restore(before);
          }
          addBound(operation);
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
          if (returnTimes[call >> 1] != NEVER) {
            definite--;
          }
          model.restore(stackStates[depth]);
          linearized = linearized.clone();
          linearized[(call >> 1) >> 6] &= ~(1L << (call >> 1));
          unlift(call);
          addBound(call >> 1);
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

    private String conflictingObservation(Operation operation, StreamModel.State state) {
      List<AppendRecord> records = ((Call.Append) operation.call()).records();
      for (int i = 0; i < records.size(); i++) {
        Long seen = observed.get(state.tail() + i);
        if (seen != null && seen != records.get(i).hash()) {
          return observedBy.get(state.tail() + i).describe()
              + ", which shows "
              + StreamModel.hex(seen)
              + " at seq "
              + (state.tail() + i);
        }
      }
      return "an observation";
    }

    private String observerOfTail(long tail, boolean[] placed, int except) {
      for (int i = 0; i < operations.size(); i++) {
        if (!placed[i] && i != except && bounds[i] == tail) {
          return operations.get(i).describe();
        }
      }
      return "an operation still to be placed";
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
      for (int i = 0; i < operations.size(); i++) {
        if (placed[i]) {
          dropBound(i);
        }
      }
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
        dropBound(index);
        String reason = model.tryApply(operation);
        if (reason == null && !fitsObservations(operation, state, model.state())) {
          reason =
              "taking effect here would contradict " + conflictingObservation(operation, state);
        }
        if (reason == null && !withinBounds(model.state())) {
          reason =
              "taking effect here would move the tail to "
                  + model.state().tail()
                  + ", past the tail "
                  + pendingBounds.firstKey()
                  + " that "
                  + observerOfTail(pendingBounds.firstKey(), placed, index)
                  + " observes";
        }
        addBound(index);
        model.restore(state);
        if (reason == null) {
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
