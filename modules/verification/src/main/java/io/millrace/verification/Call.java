package io.millrace.verification;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** What a client asked for: the invocation half of an {@link Operation}. */
public sealed interface Call {

  /** The stream the call addresses. Streams are independent and checked separately. */
  String stream();

  /**
   * An append of one batch.
   *
   * @param matchSeqNum the {@code match_seq_num} condition, if any
   * @param fencingToken the {@code fencing_token} condition, if any
   */
  record Append(
      String stream,
      List<AppendRecord> records,
      OptionalLong matchSeqNum,
      Optional<String> fencingToken)
      implements Call {

    public Append {
      records = List.copyOf(records);
      if (records.isEmpty()) {
        throw new IllegalArgumentException("an append carries at least one record");
      }
    }

    public static Append of(String stream, List<AppendRecord> records) {
      return new Append(stream, records, OptionalLong.empty(), Optional.empty());
    }

    public Append withMatchSeqNum(long matchSeqNum) {
      return new Append(stream, records, OptionalLong.of(matchSeqNum), fencingToken);
    }

    public Append withFencingToken(String token) {
      return new Append(stream, records, matchSeqNum, Optional.of(token));
    }
  }

  /**
   * A read from {@code startSeqNum}.
   *
   * @param limit the record count limit, only if nothing else (bytes, {@code until}, the server's
   *     batch cap) could have cut the read short; a read returning fewer records than a known limit
   *     claims that it reached the tail
   */
  record Read(String stream, long startSeqNum, OptionalInt limit) implements Call {

    public static Read from(String stream, long startSeqNum) {
      return new Read(stream, startSeqNum, OptionalInt.empty());
    }

    public static Read from(String stream, long startSeqNum, int limit) {
      return new Read(stream, startSeqNum, OptionalInt.of(limit));
    }
  }

  /** A check-tail. */
  record CheckTail(String stream) implements Call {}
}
