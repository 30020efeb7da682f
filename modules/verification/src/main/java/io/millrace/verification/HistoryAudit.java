package io.millrace.verification;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Direct counters for black-box tests, cheaper and blunter than the linearizability check: after a
 * run, read every stream in full once more and compare with what was acknowledged.
 *
 * <ul>
 *   <li><b>lost acks</b>: acknowledged appends with a record that the final read does not return at
 *       its acked seq num (or returns with other content), or whose range lies at or beyond the
 *       final tail. Records before the final read's start are not counted if some trim command in
 *       the history asked to trim past them.
 *   <li><b>duplicate seq nums</b>: seq nums claimed by two acknowledgements, plus seq nums the
 *       final read returned twice.
 *   <li><b>gaps</b>: seq nums between the final read's start and the final tail that it did not
 *       return, plus seq nums below the highest acked end that no ack claims and that the
 *       indefinite appends are too few to have filled.
 * </ul>
 */
public final class HistoryAudit {

  /** How many findings each report spells out; the counts are always complete. */
  static final int MAX_FINDINGS = 20;

  /** A full read of one stream after the run: records from {@code startSeqNum} up to the tail. */
  public record FinalRead(long startSeqNum, List<SequencedRecord> records, long tail) {
    public FinalRead {
      records = List.copyOf(records);
    }
  }

  /** The counts for one stream, with the first findings described. */
  public record StreamReport(
      String stream, int lostAcks, int duplicateSeqNums, int gaps, List<String> findings) {
    public StreamReport {
      findings = List.copyOf(findings);
    }

    public boolean isClean() {
      return lostAcks == 0 && duplicateSeqNums == 0 && gaps == 0;
    }
  }

  /** The reports of all streams. */
  public record Report(List<StreamReport> streams) {
    public Report {
      streams = List.copyOf(streams);
    }

    public int lostAcks() {
      return streams.stream().mapToInt(StreamReport::lostAcks).sum();
    }

    public int duplicateSeqNums() {
      return streams.stream().mapToInt(StreamReport::duplicateSeqNums).sum();
    }

    public int gaps() {
      return streams.stream().mapToInt(StreamReport::gaps).sum();
    }

    public boolean isClean() {
      return streams.stream().allMatch(StreamReport::isClean);
    }
  }

  private HistoryAudit() {}

  /**
   * Audits every stream of the history; a stream without a final read is audited on its acks alone.
   */
  public static Report audit(History history, Map<String, FinalRead> finalReads) {
    List<StreamReport> reports = new ArrayList<>();
    for (Map.Entry<String, List<Operation>> stream : history.byStream().entrySet()) {
      reports.add(auditStream(stream.getKey(), stream.getValue(), finalReads.get(stream.getKey())));
    }
    return new Report(reports);
  }

  private static StreamReport auditStream(
      String stream, List<Operation> operations, FinalRead finalRead) {
    List<String> findings = new ArrayList<>();
    int lostAcks = 0;
    int duplicates = 0;
    int gaps = 0;

    long highestTrim = 0;
    long indefiniteRecords = 0;
    Map<Long, Operation> claims = new HashMap<>();
    long highestAckedEnd = 0;
    for (Operation operation : operations) {
      if (!(operation.call() instanceof Call.Append append)
          || operation.outcome() instanceof Outcome.Failed) {
        continue;
      }
      for (AppendRecord record : append.records()) {
        if (record instanceof AppendRecord.Trim trim) {
          highestTrim = Math.max(highestTrim, trim.trimPoint());
        }
      }
      if (operation.isIndefinite()) {
        indefiniteRecords += append.records().size();
      } else if (operation.outcome() instanceof Outcome.Acked acked) {
        highestAckedEnd = Math.max(highestAckedEnd, acked.end());
        for (long seqNum = acked.start(); seqNum < acked.end(); seqNum++) {
          Operation earlier = claims.putIfAbsent(seqNum, operation);
          if (earlier != null) {
            duplicates++;
            note(
                findings,
                "seq "
                    + seqNum
                    + " acked to both "
                    + earlier.describe()
                    + " and "
                    + operation.describe());
          }
        }
      }
    }

    // Every claimed seq num is below the highest acked end.
    long unclaimed = highestAckedEnd - claims.size();
    if (unclaimed > indefiniteRecords) {
      gaps += (int) (unclaimed - indefiniteRecords);
      note(
          findings,
          unclaimed
              + " seq nums below "
              + highestAckedEnd
              + " were acked to nobody, and indefinite appends carried only "
              + indefiniteRecords
              + " records");
    }

    if (finalRead != null) {
      Map<Long, Long> read = new HashMap<>();
      for (SequencedRecord record : finalRead.records()) {
        if (read.put(record.seqNum(), record.hash()) != null) {
          duplicates++;
          note(findings, "the final read returned seq " + record.seqNum() + " twice");
        }
      }
      for (long seqNum = finalRead.startSeqNum(); seqNum < finalRead.tail(); seqNum++) {
        if (!read.containsKey(seqNum)) {
          gaps++;
          note(
              findings,
              "the final read skipped seq " + seqNum + " below the tail " + finalRead.tail());
        }
      }
      for (Operation operation : operations) {
        if (operation.outcome() instanceof Outcome.Acked acked) {
          String lost = lostRecord(operation, acked, finalRead, read, highestTrim);
          if (lost != null) {
            lostAcks++;
            note(findings, operation.describe() + " is lost: " + lost);
          }
        }
      }
    }
    return new StreamReport(stream, lostAcks, duplicates, gaps, findings);
  }

  private static String lostRecord(
      Operation operation,
      Outcome.Acked acked,
      FinalRead finalRead,
      Map<Long, Long> read,
      long highestTrim) {
    List<AppendRecord> records = ((Call.Append) operation.call()).records();
    for (long seqNum = acked.start(); seqNum < acked.end(); seqNum++) {
      int index = (int) (seqNum - acked.start());
      long expected = index < records.size() ? records.get(index).hash() : 0;
      if (seqNum >= finalRead.tail()) {
        return "seq " + seqNum + " is at or beyond the final tail " + finalRead.tail();
      }
      if (seqNum < finalRead.startSeqNum()) {
        if (seqNum >= highestTrim) {
          return "seq " + seqNum + " is before the final read's start and was never trimmed";
        }
        continue;
      }
      Long actual = read.get(seqNum);
      if (actual == null) {
        return "the final read has no seq " + seqNum;
      }
      if (actual != expected) {
        return "the final read has "
            + StreamModel.hex(actual)
            + " at seq "
            + seqNum
            + ", not "
            + StreamModel.hex(expected);
      }
    }
    return null;
  }

  private static void note(List<String> findings, String finding) {
    if (findings.size() < MAX_FINDINGS) {
      findings.add(finding);
    }
  }
}
