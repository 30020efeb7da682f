package io.millrace.verification;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;

/**
 * Generates histories that are linearizable by construction: operations run one at a time against
 * an in-memory stream, operation {@code i} takes effect at time {@code 10 * i}, and its invocation
 * and completion are stretched randomly around that point so that neighbouring operations overlap.
 */
final class CorrectHistories {

  /** A generated history and each stream's contents at the end. */
  record Generated(History history, Map<String, HistoryAudit.FinalRead> finalReads) {}

  private static final class Stream {
    final List<Long> hashes = new ArrayList<>();
    String token = "";
    long trimPoint;
  }

  private CorrectHistories() {}

  /**
   * @param maxStretch how far (in operations) an invocation may precede, and a completion follow,
   *     the operation's point of effect
   */
  static Generated generate(long seed, int streamCount, int operationCount, int maxStretch) {
    Random random = new Random(seed);
    Map<String, Stream> streams = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (int s = 0; s < streamCount; s++) {
      names.add("stream-" + s);
      streams.put("stream-" + s, new Stream());
    }
    History.Builder builder = History.builder();
    for (int i = 0; i < operationCount; i++) {
      String name = names.get(random.nextInt(streamCount));
      Stream stream = streams.get(name);
      long pointOfEffect = 10L * (i + 1 + maxStretch);
      long invokedAt = pointOfEffect - random.nextInt(10 * maxStretch + 1);
      long completedAt = pointOfEffect + random.nextInt(10 * maxStretch + 1);
      int client = random.nextInt(16);
      int dice = random.nextInt(100);
      Call call;
      Outcome outcome;
      if (dice < 60) {
        Call.Append append = randomAppend(random, name, stream, i);
        outcome = applyAppend(random, stream, append);
        call = append;
      } else if (dice < 85) {
        long tail = stream.hashes.size();
        long start = random.nextInt((int) tail + 1);
        int limit = 1 + random.nextInt(20);
        call = new Call.Read(name, start, OptionalInt.of(limit));
        if (start >= tail) {
          outcome = new Outcome.OutOfRange(tail);
        } else {
          List<SequencedRecord> records = new ArrayList<>();
          for (long seqNum = start; seqNum < Math.min(tail, start + limit); seqNum++) {
            records.add(new SequencedRecord(seqNum, stream.hashes.get((int) seqNum)));
          }
          outcome =
              new Outcome.Records(
                  records, random.nextBoolean() ? OptionalLong.of(tail) : OptionalLong.empty());
        }
      } else if (dice < 98) {
        call = new Call.CheckTail(name);
        outcome = Outcome.tail(stream.hashes.size());
      } else {
        call = Call.Append.of(name, List.of(AppendRecord.body("invalid " + i)));
        outcome = Outcome.failed("422 invalid");
      }
      builder.add(client, invokedAt, completedAt, call, outcome);
    }
    Map<String, HistoryAudit.FinalRead> finalReads = new HashMap<>();
    streams.forEach(
        (name, stream) -> {
          List<SequencedRecord> records = new ArrayList<>();
          for (int seqNum = 0; seqNum < stream.hashes.size(); seqNum++) {
            records.add(new SequencedRecord(seqNum, stream.hashes.get(seqNum)));
          }
          finalReads.put(name, new HistoryAudit.FinalRead(0, records, stream.hashes.size()));
        });
    return new Generated(builder.build(), finalReads);
  }

  private static Call.Append randomAppend(Random random, String name, Stream stream, int i) {
    List<AppendRecord> records = new ArrayList<>();
    int count = 1 + random.nextInt(3);
    for (int r = 0; r < count; r++) {
      records.add(AppendRecord.body("op " + i + " record " + r));
    }
    int special = random.nextInt(100);
    if (special < 3) {
      records.add(AppendRecord.fence("token-" + i));
    } else if (special < 5) {
      records.add(AppendRecord.trim(random.nextInt(stream.hashes.size() + 1)));
    }
    OptionalLong match = OptionalLong.empty();
    if (random.nextInt(100) < 25) {
      long tail = stream.hashes.size();
      match =
          OptionalLong.of(
              random.nextInt(100) < 80 ? tail : Math.max(0, tail - 1 - random.nextInt(3)));
    }
    Optional<String> token = Optional.empty();
    if (random.nextInt(100) < 15) {
      token = Optional.of(random.nextInt(100) < 80 ? stream.token : "stale-" + i);
    }
    return new Call.Append(name, records, match, token);
  }

  private static Outcome applyAppend(Random random, Stream stream, Call.Append append) {
    long tail = stream.hashes.size();
    boolean indefinite = random.nextInt(100) < 5;
    if (append.fencingToken().isPresent() && !append.fencingToken().get().equals(stream.token)) {
      return indefinite
          ? Outcome.indefinite("timeout")
          : Outcome.fencingTokenMismatch(stream.token);
    }
    if (append.matchSeqNum().isPresent() && append.matchSeqNum().getAsLong() != tail) {
      return indefinite ? Outcome.indefinite("timeout") : Outcome.seqNumMismatch(tail);
    }
    if (indefinite && random.nextBoolean()) {
      return Outcome.indefinite("timeout, never applied");
    }
    for (AppendRecord record : append.records()) {
      long seqNum = stream.hashes.size();
      stream.hashes.add(record.hash());
      if (record instanceof AppendRecord.Fence fence) {
        stream.token = fence.token();
      } else if (record instanceof AppendRecord.Trim trim) {
        stream.trimPoint = Math.max(stream.trimPoint, Math.min(trim.trimPoint(), seqNum + 1));
      }
    }
    return indefinite
        ? Outcome.indefinite("timeout, applied")
        : Outcome.acked(tail, stream.hashes.size());
  }
}
