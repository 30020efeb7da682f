package io.millrace.format;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** TEMPORARY stand-in until the format module lands (API from entrypoints.md). */
public final class WalChunkCodec {
  private WalChunkCodec() {}

  public static byte[] encodeChunk(String channelId, long chunkSeq, List<StreamSection> sections) {
    try {
      ByteArrayOutputStream b = StandInCodec.buf();
      DataOutputStream out = new DataOutputStream(b);
      out.writeByte(1);
      out.writeUTF(channelId);
      out.writeLong(chunkSeq);
      out.writeInt(sections.size());
      for (StreamSection s : sections) {
        out.writeUTF(s.streamId());
        out.writeLong(s.epoch());
        StandInCodec.writeRecords(out, s.records());
      }
      out.flush();
      return b.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] encodeSeal(String channelId, long chunkSeq) {
    try {
      ByteArrayOutputStream b = StandInCodec.buf();
      DataOutputStream out = new DataOutputStream(b);
      out.writeByte(2);
      out.writeUTF(channelId);
      out.writeLong(chunkSeq);
      out.flush();
      return b.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static WalObject decode(byte[] data) {
    try {
      DataInputStream in = StandInCodec.in(data);
      int kind = in.readByte();
      String channelId = in.readUTF();
      long seq = in.readLong();
      if (kind == 2) {
        return new WalObject.Seal(channelId, seq);
      }
      if (kind != 1) {
        throw new CorruptObjectException("bad kind " + kind);
      }
      int n = in.readInt();
      List<StreamSection> sections = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String sid = in.readUTF();
        long epoch = in.readLong();
        sections.add(new StreamSection(sid, epoch, StandInCodec.readRecords(in)));
      }
      return new WalObject.Chunk(channelId, seq, sections);
    } catch (IOException e) {
      throw new CorruptObjectException("truncated: " + e);
    }
  }

  public static Optional<StreamSection> decodeSection(byte[] chunk, String streamId) {
    if (decode(chunk) instanceof WalObject.Chunk c) {
      return c.sections().stream().filter(s -> s.streamId().equals(streamId)).findFirst();
    }
    return Optional.empty();
  }
}
