package io.millrace.verification;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Terse construction of hand-made histories on one stream, {@code "s"}, for tests. */
final class Histories {

  static final String STREAM = "s";

  private final History.Builder builder = History.builder();

  /** Adds an operation of this client that ran from {@code invokedAt} to {@code completedAt}. */
  Histories op(int client, long invokedAt, long completedAt, Call call, Outcome outcome) {
    builder.add(client, invokedAt, completedAt, call, outcome);
    return this;
  }

  History build() {
    return builder.build();
  }

  /** An append of plain records with these bodies. */
  static Call.Append append(String... bodies) {
    return Call.Append.of(STREAM, Arrays.stream(bodies).map(AppendRecord::body).toList());
  }

  /** An append of these records, for command records. */
  static Call.Append append(AppendRecord... records) {
    return Call.Append.of(STREAM, List.of(records));
  }

  static Call.Read readFrom(long start, int limit) {
    return Call.Read.from(STREAM, start, limit);
  }

  static Call.CheckTail checkTail() {
    return new Call.CheckTail(STREAM);
  }

  /** Records with these bodies at consecutive seq nums from {@code start}. */
  static List<SequencedRecord> records(long start, String... bodies) {
    List<SequencedRecord> records = new ArrayList<>();
    for (String body : bodies) {
      records.add(new SequencedRecord(start++, RecordHash.ofBody(body)));
    }
    return records;
  }

  static Outcome.Records returned(long start, String... bodies) {
    return Outcome.records(records(start, bodies));
  }

  private Histories() {}

  static Histories history() {
    return new Histories();
  }
}
