package io.millrace.format;

import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** TEMPORARY stand-in until the format module lands. */
final class StandInCodec {
  private StandInCodec() {}

  static void writeRecords(DataOutputStream out, List<SequencedRecord> records) throws IOException {
    out.writeInt(records.size());
    for (SequencedRecord r : records) {
      out.writeLong(r.seqNum());
      out.writeLong(r.timestamp());
      out.writeInt(r.headers().size());
      for (Header h : r.headers()) {
        out.writeInt(h.name().length);
        out.write(h.name());
        out.writeInt(h.value().length);
        out.write(h.value());
      }
      out.writeInt(r.body().length);
      out.write(r.body());
    }
  }

  static List<SequencedRecord> readRecords(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<SequencedRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long seq = in.readLong();
      long ts = in.readLong();
      int hn = in.readInt();
      List<Header> hs = new ArrayList<>(hn);
      for (int j = 0; j < hn; j++) {
        hs.add(new Header(in.readNBytes(in.readInt()), in.readNBytes(in.readInt())));
      }
      out.add(new SequencedRecord(seq, ts, hs, in.readNBytes(in.readInt())));
    }
    return out;
  }

  static DataInputStream in(byte[] b) {
    return new DataInputStream(new ByteArrayInputStream(b));
  }

  static ByteArrayOutputStream buf() {
    return new ByteArrayOutputStream();
  }
}
