package io.millrace.verification;

/**
 * One record of an appended batch, as the history needs it: its content hash and, for command
 * records, the command's effect on the stream.
 */
public sealed interface AppendRecord {

  /** The record's content hash, as {@link RecordHash} computes it on the read side too. */
  long hash();

  /** An ordinary record. */
  record Data(long hash) implements AppendRecord {}

  /** A {@code fence} command record: when sequenced it replaces the stream's fencing token. */
  record Fence(String token, long hash) implements AppendRecord {
    public Fence(String token) {
      this(token, RecordHash.fence(token));
    }
  }

  /**
   * A {@code trim} command record: when sequenced at seq num {@code n} it raises the trim point to
   * {@code max(current, min(trimPoint, n + 1))}.
   */
  record Trim(long trimPoint, long hash) implements AppendRecord {
    public Trim(long trimPoint) {
      this(trimPoint, RecordHash.trim(trimPoint));
    }
  }

  static AppendRecord data(long hash) {
    return new Data(hash);
  }

  /** An ordinary record without headers whose body is this string in UTF-8. */
  static AppendRecord body(String body) {
    return new Data(RecordHash.ofBody(body));
  }

  static AppendRecord fence(String token) {
    return new Fence(token);
  }

  static AppendRecord trim(long trimPoint) {
    return new Trim(trimPoint);
  }
}
