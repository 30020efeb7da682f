package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.millrace.core.record.SequencedRecord;
import io.millrace.format.WalChunkCodec.FooterEntry;
import io.millrace.format.WalChunkCodec.Trailer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checksums stop random damage before the parsers see it. These tests damage a part and then fix
 * its checksum, as a buggy writer would, so the parsers themselves meet nonsense lengths and
 * counts: they must answer with a decoded value or {@link CorruptObjectException}, never with an
 * index or allocation error.
 */
class MalformedObjectTest {

  private final Random random = new Random(99);

  @Test
  void damagedChunkPartsWithValidChecksumsFailOnlyAsCorrupt() {
    RandomRecords gen = new RandomRecords(31);
    int corruptSeen = 0;
    for (int round = 0; round < 300; round++) {
      List<StreamSection> sections = new ArrayList<>();
      for (int s = 0; s < 1 + gen.nextInt(4); s++) {
        sections.add(new StreamSection(gen.id(), s, gen.run(1 + gen.nextInt(6))));
      }
      byte[] object = WalChunkCodec.encodeChunk("chan", round, sections);
      Trailer t = WalChunkCodec.decodeTrailer(object);
      List<FooterEntry> footer =
          WalChunkCodec.decodeFooter(Bytes.slice(object, t.footerOffset(), t.footerLength()));
      FooterEntry entry = footer.get(random.nextInt(footer.size()));

      int part = random.nextInt(3);
      byte[] damaged = object.clone();
      if (part == 0) {
        damage(damaged, (int) entry.sectionOffset(), entry.sectionLength() - 4);
      } else if (part == 1) {
        damage(damaged, (int) t.footerOffset(), t.footerLength() - 4);
      } else {
        damage(damaged, 0, Bytes.headerLength(object) - 4);
      }

      corruptSeen += onlyCorrupt(() -> WalChunkCodec.decode(damaged));
      onlyCorrupt(() -> WalChunkCodec.decodeSection(damaged, entry.streamId()));
      onlyCorrupt(
          () ->
              WalChunkCodec.decodeSectionAt(
                  Bytes.slice(damaged, entry.sectionOffset(), entry.sectionLength())));
    }
    assertThat(corruptSeen).isGreaterThan(150);
  }

  @Test
  void damagedSegmentPartsWithValidChecksumsFailOnlyAsCorrupt() {
    RandomRecords gen = new RandomRecords(37);
    int corruptSeen = 0;
    for (int round = 0; round < 300; round++) {
      List<SequencedRecord> records = gen.run(1 + gen.nextInt(30));
      byte[] segment = SegmentCodec.encode("s", records, 1 + gen.nextInt(6), 1 << 20);
      int t = segment.length - SegmentCodec.TRAILER_BYTES;
      ByteBuffer trailer = ByteBuffer.wrap(segment, t, SegmentCodec.TRAILER_BYTES);
      int footerOffset = (int) trailer.getLong(t);
      int h = Bytes.headerLength(segment);

      int part = random.nextInt(3);
      byte[] damaged = segment.clone();
      if (part == 0) {
        // The first block; its length field is at h.
        int blockLength = ByteBuffer.wrap(segment).getInt(h) + 4;
        damage(damaged, h, blockLength);
      } else if (part == 1) {
        damage(damaged, footerOffset, t - footerOffset - 4);
      } else {
        damage(damaged, 0, h - 4);
      }
      long seq = records.get(random.nextInt(records.size())).seqNum();

      corruptSeen += onlyCorrupt(() -> SegmentCodec.decode(damaged));
      onlyCorrupt(() -> SegmentCodec.decodeFrom(damaged, seq));
      onlyCorrupt(() -> SegmentCodec.decodeFromTimestamp(damaged, random.nextLong()));
      onlyCorrupt(() -> SegmentCodec.readMeta(damaged));
    }
    assertThat(corruptSeen).isGreaterThan(150);
  }

  @Test
  void randomBytesEndingInTheRightMagicFailOnlyAsCorrupt() {
    for (int round = 0; round < 2000; round++) {
      byte[] junk = new byte[random.nextInt(200)];
      random.nextBytes(junk);
      if (junk.length >= 4) {
        int magic = random.nextBoolean() ? WalChunkCodec.MAGIC : SegmentCodec.MAGIC;
        ByteBuffer.wrap(junk).putInt(junk.length - 4, magic);
        if (random.nextBoolean()) {
          ByteBuffer.wrap(junk).putInt(0, magic);
        }
      }
      assertThat(onlyCorrupt(() -> WalChunkCodec.decode(junk))).isEqualTo(1);
      onlyCorrupt(() -> WalChunkCodec.decodeSection(junk, "s"));
      onlyCorrupt(() -> WalChunkCodec.decodeSectionAt(junk));
      onlyCorrupt(() -> WalChunkCodec.decodeFooter(junk));
      assertThat(onlyCorrupt(() -> SegmentCodec.decode(junk))).isEqualTo(1);
      onlyCorrupt(() -> SegmentCodec.decodeFromTimestamp(junk, 0));
      onlyCorrupt(() -> SegmentCodec.decodeIndex(junk));
      onlyCorrupt(() -> SegmentCodec.decodeBlocks(junk));
      onlyCorrupt(() -> RecordCodec.decode(junk));
    }
  }

  /** Sets 1 to 3 random bytes of {@code [from, from+length)}, then fixes the CRC that follows. */
  private void damage(byte[] bytes, int from, int length) {
    for (int i = 0; i < 1 + random.nextInt(3); i++) {
      bytes[from + random.nextInt(length)] = (byte) random.nextInt(256);
    }
    Bytes.fixCrc(bytes, from, from + length);
  }

  /** 1 when {@code decode} threw {@link CorruptObjectException}, 0 when it returned. */
  private static int onlyCorrupt(Runnable decode) {
    try {
      decode.run();
      return 0;
    } catch (CorruptObjectException e) {
      assertThat(e.getMessage()).isNotBlank();
      return 1;
    } catch (RuntimeException e) {
      return fail("decoder threw " + e + " instead of CorruptObjectException", e);
    }
  }
}
