package io.millrace.verification;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The sequential specification of one S2 stream, used by the checker.
 *
 * <p>The hashable {@link State} is (tail, chain hash, fencing token, trim point), where the chain
 * hash folds every record hash in seq num order: {@code chain(n + 1) = mix(chain(n), hash(n))}. The
 * chain determines the whole record sequence up to 64-bit hash collisions, so the state determines
 * all future behaviour and is sound as a memoisation key. Reads need the record at each position;
 * the model keeps those in an array that always matches the current state, because the checker
 * moves it only forwards ({@link #tryApply}) and back to an earlier state of the same search path
 * ({@link #restore}).
 *
 * <p>Not thread-safe; one instance per search.
 */
final class StreamModel {

  /** The state that determines the stream's future behaviour. */
  record State(long tail, long chain, String token, long trimPoint) {}

  static final State INITIAL = new State(0, 0x6a09e667f3bcc908L, "", 0);

  private State state = INITIAL;
  private long[] hashes = new long[64];

  State state() {
    return state;
  }

  /** Moves back to a state this model passed through; records past its tail are forgotten. */
  void restore(State earlier) {
    state = earlier;
  }

  /**
   * Applies the operation at the current state if its outcome is what the specification allows
   * there, and returns null; otherwise leaves the state alone and returns why not, as one line.
   */
  String tryApply(Operation operation) {
    if (operation.call() instanceof Call.Append append) {
      return append(operation, append);
    }
    if (operation.call() instanceof Call.Read read) {
      return read(operation, read);
    }
    return checkTail(operation);
  }

  private String append(Operation operation, Call.Append append) {
    long tail = state.tail();
    String who = "append by client " + operation.client();
    Optional<String> token = append.fencingToken();
    boolean tokenMatches = token.isEmpty() || token.get().equals(state.token());
    OptionalLong match = append.matchSeqNum();
    boolean seqNumMatches = match.isEmpty() || match.getAsLong() == tail;
    String tokenClash =
        token.isEmpty()
            ? ""
            : "its token '" + token.get() + "' but the stream's was '" + state.token() + "'";
    String seqNumClash =
        match.isEmpty() ? "" : "match_seq_num " + match.getAsLong() + " but the tail was " + tail;

    Outcome outcome = operation.outcome();
    if (outcome instanceof Outcome.Acked acked) {
      int count = append.records().size();
      if (!tokenMatches) {
        return who + " was acked with " + tokenClash;
      }
      if (!seqNumMatches) {
        return who + " was acked with " + seqNumClash;
      }
      if (acked.start() != tail || acked.end() != tail + count) {
        return who
            + " acked "
            + Operation.range(acked.start(), acked.end())
            + " but the tail was "
            + tail
            + (acked.end() - acked.start() != count ? " (and the batch had " + count + ")" : "");
      }
      apply(append);
      return null;
    }
    if (outcome instanceof Outcome.SeqNumMismatch mismatch) {
      if (!tokenMatches) {
        return who
            + " got seq_num_mismatch though the fencing check, which comes first, fails: "
            + tokenClash;
      }
      if (seqNumMatches) {
        return who
            + " got seq_num_mismatch "
            + mismatch.reportedTail()
            + (match.isEmpty()
                ? " without a match_seq_num"
                : " but its match_seq_num " + match.getAsLong() + " was the tail");
      }
      if (mismatch.reportedTail() != tail) {
        return who
            + " got seq_num_mismatch "
            + mismatch.reportedTail()
            + " but the tail was "
            + tail;
      }
      return null;
    }
    if (outcome instanceof Outcome.FencingTokenMismatch mismatch) {
      if (tokenMatches) {
        return who
            + " got fencing_token_mismatch"
            + (token.isEmpty()
                ? " without a fencing token"
                : " but its token '" + token.get() + "' was the stream's");
      }
      if (mismatch.currentToken().isPresent()
          && !mismatch.currentToken().get().equals(state.token())) {
        return who
            + " got fencing_token_mismatch '"
            + mismatch.currentToken().get()
            + "' but the stream's token was '"
            + state.token()
            + "'";
      }
      return null;
    }
    // Indefinite: it applies here if its conditions hold; if they do not, it was rejected, which
    // is the same as never taking effect, so the checker need not place it here.
    if (!tokenMatches) {
      return who + " (indefinite) would be rejected here: " + tokenClash;
    }
    if (!seqNumMatches) {
      return who + " (indefinite) would be rejected here: " + seqNumClash;
    }
    apply(append);
    return null;
  }

  private void apply(Call.Append append) {
    long seqNum = state.tail();
    long chain = state.chain();
    String token = state.token();
    long trimPoint = state.trimPoint();
    int needed = Math.toIntExact(seqNum + append.records().size());
    if (needed > hashes.length) {
      hashes = Arrays.copyOf(hashes, Math.max(needed, hashes.length * 2));
    }
    for (AppendRecord record : append.records()) {
      hashes[(int) seqNum] = record.hash();
      chain = mix(chain, record.hash());
      if (record instanceof AppendRecord.Fence fence) {
        token = fence.token();
      } else if (record instanceof AppendRecord.Trim trim) {
        trimPoint = Math.max(trimPoint, Math.min(trim.trimPoint(), seqNum + 1));
      }
      seqNum++;
    }
    state = new State(seqNum, chain, token, trimPoint);
  }

  private String read(Operation operation, Call.Read read) {
    long tail = state.tail();
    String who = "read by client " + operation.client() + " from " + read.startSeqNum();
    if (operation.outcome() instanceof Outcome.OutOfRange outOfRange) {
      if (read.startSeqNum() < tail) {
        return who + " got 416 but the tail was " + tail;
      }
      if (outOfRange.tail() != tail) {
        return who + " got 416 with tail " + outOfRange.tail() + " but the tail was " + tail;
      }
      return null;
    }
    Outcome.Records result = (Outcome.Records) operation.outcome();
    if (result.tail().isPresent() && result.tail().getAsLong() != tail) {
      return who + " reported tail " + result.tail().getAsLong() + " but the tail was " + tail;
    }
    List<SequencedRecord> records = result.records();
    long expected = -1;
    for (SequencedRecord record : records) {
      long seqNum = record.seqNum();
      if (expected >= 0 && seqNum != expected) {
        return who + " returned seq " + seqNum + " right after seq " + (expected - 1);
      }
      if (seqNum >= tail) {
        return who + " returned seq " + seqNum + " but the tail was " + tail;
      }
      if (hashes[(int) seqNum] != record.hash()) {
        return who
            + " returned seq "
            + seqNum
            + " = "
            + hex(record.hash())
            + " but the stream had "
            + hex(hashes[(int) seqNum])
            + " at "
            + seqNum;
      }
      expected = seqNum + 1;
    }
    long trimPoint = state.trimPoint();
    if (!records.isEmpty()) {
      long first = records.get(0).seqNum();
      if (first < read.startSeqNum()) {
        return who + " returned seq " + first + ", before its start";
      }
      if (first > read.startSeqNum() && first > trimPoint) {
        return who + " skipped to seq " + first + " though the trim point was " + trimPoint;
      }
    }
    boolean claimsEnd = read.limit().isPresent() && records.size() < read.limit().getAsInt();
    if (claimsEnd) {
      long end =
          records.isEmpty()
              ? Math.max(read.startSeqNum(), trimPoint)
              : records.get(records.size() - 1).seqNum() + 1;
      if (end < tail) {
        return who
            + " returned "
            + (records.isEmpty() ? "nothing" : "up to seq " + (end - 1))
            + " with room for more (limit "
            + read.limit().getAsInt()
            + ") but the tail was "
            + tail;
      }
    }
    return null;
  }

  private String checkTail(Operation operation) {
    long reported = ((Outcome.Tail) operation.outcome()).seqNum();
    if (reported != state.tail()) {
      return "check-tail by client "
          + operation.client()
          + " returned "
          + reported
          + " but the tail was "
          + state.tail();
    }
    return null;
  }

  /**
   * The highest tail the stream may have while the operation is still to be placed, or {@link
   * Long#MAX_VALUE}. The checker prunes with it: the tail never decreases, so an operation that
   * observes the tail to be {@code x} (an ack's start, a 412's tail, a check-tail, a reported tail,
   * a 416) or at most {@code x} (a read that returned fewer records than its limit) must take
   * effect before the tail passes {@code x}.
   *
   * @param trimsPossible whether the stream's history has trim records: an empty read that reached
   *     the tail then bounds nothing, because it may have started inside a trimmed range
   */
  static long maxTailWhilePending(Operation operation, boolean trimsPossible) {
    Outcome outcome = operation.outcome();
    if (outcome instanceof Outcome.Acked acked) {
      return acked.start();
    }
    if (outcome instanceof Outcome.SeqNumMismatch mismatch) {
      return mismatch.reportedTail();
    }
    if (outcome instanceof Outcome.Tail tail) {
      return tail.seqNum();
    }
    if (outcome instanceof Outcome.OutOfRange outOfRange) {
      return outOfRange.tail();
    }
    if (outcome instanceof Outcome.Records result) {
      if (result.tail().isPresent()) {
        return result.tail().getAsLong();
      }
      Call.Read read = (Call.Read) operation.call();
      List<SequencedRecord> records = result.records();
      if (read.limit().isPresent() && records.size() < read.limit().getAsInt()) {
        if (!records.isEmpty()) {
          return records.get(records.size() - 1).seqNum() + 1;
        }
        if (!trimsPossible) {
          return read.startSeqNum();
        }
      }
    }
    return Long.MAX_VALUE;
  }

  /** Folds one record hash into the chain; order-sensitive, well mixed even for small hashes. */
  static long mix(long chain, long recordHash) {
    long x = Long.rotateLeft(chain, 23) * 0x9E3779B97F4A7C15L ^ recordHash;
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }

  static String hex(long hash) {
    return String.format("h(%016x)", hash);
  }
}
