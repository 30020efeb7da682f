package io.millrace.format;

import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small records for codec tests. */
final class Fixtures {
  private Fixtures() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static SequencedRecord record(long seq, long ts, String body) {
    return new SequencedRecord(seq, ts, List.of(), utf8(body));
  }

  static SequencedRecord record(long seq, long ts, List<Header> headers, byte[] body) {
    return new SequencedRecord(seq, ts, headers, body);
  }

  static SequencedRecord fence(long seq, long ts, String token) {
    return new SequencedRecord(
        seq, ts, List.of(new Header(new byte[0], CommandRecords.FENCE)), utf8(token));
  }

  static SequencedRecord trim(long seq, long ts, long trimPoint) {
    return new SequencedRecord(
        seq,
        ts,
        List.of(new Header(new byte[0], CommandRecords.TRIM)),
        ByteBuffer.allocate(8).putLong(trimPoint).array());
  }

  /** {@code count} records from {@code firstSeq}, timestamps {@code firstTs + 10 * i}. */
  static List<SequencedRecord> run(long firstSeq, long firstTs, int count) {
    List<SequencedRecord> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(
          record(
              firstSeq + i,
              firstTs + 10L * i,
              List.of(new Header(utf8("k"), utf8("v" + i))),
              utf8("record-" + (firstSeq + i))));
    }
    return out;
  }
}
