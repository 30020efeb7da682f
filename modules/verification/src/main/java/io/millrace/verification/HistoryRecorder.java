package io.millrace.verification;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Records a history while clients run: call {@link #invoke} just before sending a request and
 * {@link #complete} as soon as its response (or failure) arrives. Thread-safe.
 *
 * <pre>{@code
 * HistoryRecorder recorder = new HistoryRecorder(System::nanoTime);
 * HistoryRecorder.Invocation append = recorder.invoke(clientId, Call.Append.of("s", records));
 * // ... send it, then for example
 * recorder.complete(append, Outcome.acked(ack.start(), ack.end()));
 * // after the run
 * CheckResult result = new LinearizabilityChecker().check(recorder.history());
 * }</pre>
 *
 * <p>Map responses to outcomes by what they guarantee: 412 bodies to {@link Outcome.SeqNumMismatch}
 * or {@link Outcome.FencingTokenMismatch}; errors with no side effect (4xx validation, 404, 429,
 * 503 {@code unavailable}) to {@link Outcome.Failed}; timeouts and errors that may have applied
 * (408, 500, 504, a dropped connection) to {@link Outcome.Indefinite}. An invocation never
 * completed counts as indefinite.
 */
public final class HistoryRecorder {

  /** An invoked operation waiting for its completion. */
  public static final class Invocation {
    private final int id;
    private final int client;
    private final Call call;
    private final long invokedAt;

    private Invocation(int id, int client, Call call, long invokedAt) {
      this.id = id;
      this.client = client;
      this.call = call;
      this.invokedAt = invokedAt;
    }

    public int id() {
      return id;
    }
  }

  private final LongSupplier clock;
  private final List<Invocation> invocations = new ArrayList<>();
  private final List<Operation> completed = new ArrayList<>();

  /**
   * @param clock a monotonic clock in nanos shared by all clients (for example {@code
   *     System::nanoTime}, or a simulator's virtual clock)
   */
  public HistoryRecorder(LongSupplier clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  /** Records the invocation of a call; the clock is read inside the lock so times are ordered. */
  public synchronized Invocation invoke(int client, Call call) {
    Invocation invocation = new Invocation(invocations.size(), client, call, clock.getAsLong());
    invocations.add(invocation);
    completed.add(null);
    return invocation;
  }

  /** Records the outcome of an invocation. Each invocation completes at most once. */
  public synchronized void complete(Invocation invocation, Outcome outcome) {
    if (completed.get(invocation.id) != null) {
      throw new IllegalStateException("operation " + invocation.id + " already completed");
    }
    completed.set(
        invocation.id,
        new Operation(
            invocation.id,
            invocation.client,
            invocation.call,
            outcome,
            invocation.invokedAt,
            clock.getAsLong()));
  }

  /** The history so far; invocations not yet completed are indefinite. */
  public synchronized History history() {
    long now = clock.getAsLong();
    List<Operation> operations = new ArrayList<>(invocations.size());
    for (int i = 0; i < invocations.size(); i++) {
      Operation operation = completed.get(i);
      if (operation == null) {
        Invocation invocation = invocations.get(i);
        operation =
            new Operation(
                invocation.id,
                invocation.client,
                invocation.call,
                Outcome.indefinite("never completed"),
                invocation.invokedAt,
                Math.max(now, invocation.invokedAt));
      }
      operations.add(operation);
    }
    return new History(operations);
  }
}
