package io.millrace.verification;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A complete history: every operation the clients invoked, each with its outcome. Build one by hand
 * with {@link #builder()} or record one live with {@link HistoryRecorder}.
 */
public record History(List<Operation> operations) {

  public History {
    operations = List.copyOf(operations);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The operations per stream, in history order; streams in order of first appearance. */
  public Map<String, List<Operation>> byStream() {
    Map<String, List<Operation>> streams = new LinkedHashMap<>();
    for (Operation operation : operations) {
      streams.computeIfAbsent(operation.stream(), s -> new ArrayList<>()).add(operation);
    }
    return streams;
  }

  /** Adds operations with explicit times, numbering them in the order they are added. */
  public static final class Builder {
    private final List<Operation> operations = new ArrayList<>();

    private Builder() {}

    /** Adds an operation and returns its id. */
    public int add(int client, long invokedAt, long completedAt, Call call, Outcome outcome) {
      int id = operations.size();
      operations.add(new Operation(id, client, call, outcome, invokedAt, completedAt));
      return id;
    }

    public History build() {
      return new History(operations);
    }
  }
}
