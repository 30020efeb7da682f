package io.millrace.format;

import io.millrace.core.record.SequencedRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/** TEMPORARY stand-in until the format module lands (API from entrypoints.md). */
public final class SegmentCodec {
  private SegmentCodec() {}

  public static byte[] encode(String streamId, List<SequencedRecord> records) {
    try {
      ByteArrayOutputStream b = StandInCodec.buf();
      DataOutputStream out = new DataOutputStream(b);
      out.writeUTF(streamId);
      StandInCodec.writeRecords(out, records);
      out.flush();
      return b.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static List<SequencedRecord> decode(byte[] data) {
    try {
      DataInputStream in = StandInCodec.in(data);
      in.readUTF();
      return StandInCodec.readRecords(in);
    } catch (IOException e) {
      throw new CorruptObjectException("truncated: " + e);
    }
  }
}
