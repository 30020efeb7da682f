package io.millrace.core.record;

import java.util.List;

/**
 * One append batch: 1 to 1000 records, at most 1 MiB metered, with an optional {@code
 * match_seq_num} and {@code fencing_token} (null when absent).
 */
public record AppendInput(List<AppendRecord> records, Long matchSeqNum, String fencingToken) {
  public AppendInput {
    records = List.copyOf(records);
  }

  public long meteredSize() {
    long total = 0;
    for (AppendRecord r : records) {
      total += r.meteredSize();
    }
    return total;
  }
}
