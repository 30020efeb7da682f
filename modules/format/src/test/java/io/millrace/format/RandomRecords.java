package io.millrace.format;

import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded generator of arbitrary records: edge values, empty and binary names, values, bodies. */
final class RandomRecords {
  private static final long[] EDGE_LONGS = {
    0, 1, 127, 128, 16383, 16384, Long.MAX_VALUE, Long.MIN_VALUE, -1, Integer.MAX_VALUE
  };

  private final Random random;

  RandomRecords(long seed) {
    random = new Random(seed);
  }

  long anyLong() {
    return random.nextInt(4) == 0
        ? EDGE_LONGS[random.nextInt(EDGE_LONGS.length)]
        : random.nextLong() >>> random.nextInt(64);
  }

  byte[] bytes(int maxLength) {
    int n = random.nextInt(3) == 0 ? 0 : random.nextInt(maxLength + 1);
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  List<Header> headers() {
    int n = random.nextInt(4);
    List<Header> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Header(bytes(20), bytes(200)));
    }
    return out;
  }

  SequencedRecord record(long seq, long ts) {
    return new SequencedRecord(seq, ts, headers(), bytes(random.nextInt(10) == 0 ? 5000 : 100));
  }

  SequencedRecord anyRecord() {
    return record(anyLong(), anyLong());
  }

  /** Contiguous seq nums from a random start, non-decreasing timestamps (repeats likely). */
  List<SequencedRecord> run(int count) {
    long seq = random.nextInt(3) == 0 ? 0 : random.nextLong() >>> 2;
    long ts = random.nextLong() >>> 24;
    List<SequencedRecord> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(record(seq + i, ts));
      ts += random.nextInt(3);
    }
    return out;
  }

  int nextInt(int bound) {
    return random.nextInt(bound);
  }

  String id() {
    return "stream-" + Long.toHexString(random.nextLong());
  }
}
