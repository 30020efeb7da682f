package io.millrace.format;

import io.millrace.core.record.SequencedRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * What can still be read from a segment that fails its checks (issue 14, fault 4: one flipped byte
 * made every read of the stream fail). Each block has its own checksum and the index locates every
 * block, so a damaged block loses only its own records: the others decode as usual. When the
 * trailer or the index itself is damaged no block can be located and the whole segment is one
 * damaged range.
 *
 * @param records every record of the undamaged blocks, in seq num order
 * @param damaged the seq num ranges whose records cannot be read, in order
 * @param problem what failed the full decode (null when the segment is whole); set also when only
 *     the header is damaged and every record was read from its checksummed block
 */
public record SegmentSalvage(
    List<SequencedRecord> records, List<DamagedRange> damaged, String problem) {
  public SegmentSalvage {
    records = List.copyOf(records);
    damaged = List.copyOf(damaged);
  }

  /** Seq nums {@code [firstSeqNum, lastSeqNum]} of a segment cannot be read, and why. */
  public record DamagedRange(long firstSeqNum, long lastSeqNum, String reason) {}

  /** True when the segment decoded with every check passing. */
  public boolean whole() {
    return problem == null;
  }

  /**
   * Salvages {@code segment}, whose index says (and whose metadata row says) it holds seq nums
   * {@code [firstSeqNum, lastSeqNum]}.
   */
  public static SegmentSalvage of(byte[] segment, long firstSeqNum, long lastSeqNum) {
    try {
      return new SegmentSalvage(SegmentCodec.decode(segment), List.of(), null);
    } catch (CorruptObjectException whole) {
      List<SegmentCodec.IndexEntry> index;
      try {
        SegmentCodec.Trailer trailer = SegmentCodec.decodeTrailer(segment);
        long from = trailer.indexOffset();
        if (from < 0 || from + trailer.indexLength() > segment.length) {
          throw new CorruptObjectException("segment trailer: index out of the object");
        }
        byte[] indexBytes = new byte[trailer.indexLength()];
        System.arraycopy(segment, (int) from, indexBytes, 0, indexBytes.length);
        index = SegmentCodec.decodeIndex(indexBytes);
      } catch (CorruptObjectException e) {
        return new SegmentSalvage(
            List.of(),
            List.of(new DamagedRange(firstSeqNum, lastSeqNum, e.getMessage())),
            e.getMessage());
      }
      List<SequencedRecord> records = new ArrayList<>();
      List<DamagedRange> damaged = new ArrayList<>();
      for (int i = 0; i < index.size(); i++) {
        SegmentCodec.IndexEntry e = index.get(i);
        long blockLast = i + 1 < index.size() ? index.get(i + 1).firstSeqNum() - 1 : lastSeqNum;
        try {
          int end = Math.toIntExact(e.blockOffset() + e.blockLength());
          if (end > segment.length) {
            throw new CorruptObjectException("segment block: beyond the object's end");
          }
          byte[] block = new byte[e.blockLength()];
          System.arraycopy(segment, (int) e.blockOffset(), block, 0, block.length);
          List<SequencedRecord> got = SegmentCodec.decodeBlocks(block);
          if (got.get(0).seqNum() != e.firstSeqNum()
              || got.get(got.size() - 1).seqNum() != blockLast) {
            throw new CorruptObjectException(
                "segment block " + i + ": seq nums disagree with the index");
          }
          records.addAll(got);
        } catch (CorruptObjectException | ArithmeticException bad) {
          damaged.add(
              new DamagedRange(
                  e.firstSeqNum(),
                  blockLast,
                  "block "
                      + i
                      + " (seq nums "
                      + e.firstSeqNum()
                      + " to "
                      + blockLast
                      + "): "
                      + bad.getMessage()));
        }
      }
      // With every block whole the damage is in the header: all records are still served.
      return new SegmentSalvage(records, damaged, whole.getMessage());
    }
  }
}
