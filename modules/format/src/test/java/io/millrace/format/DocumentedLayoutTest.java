package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The offsets in docs/formats/*.md and the codec Javadoc are where the encoders put the fields. */
class DocumentedLayoutTest {

  @Test
  void walHeaderAndTrailerFieldsSitAtTheDocumentedOffsets() {
    byte[] b =
        WalChunkCodec.encodeChunk(
            "chan", 77, List.of(new StreamSection("s", 5, Fixtures.run(0, 0, 2))));
    ByteBuffer buf = ByteBuffer.wrap(b);

    assertThat(WalChunkCodec.CHUNK_SEQ_OFFSET).isEqualTo(13);
    assertThat(WalChunkCodec.CHANNEL_ID_OFFSET).isEqualTo(23);
    assertThat(WalChunkCodec.TRAILER_BYTES).isEqualTo(25);
    assertThat(buf.getInt(ObjectFraming.MAGIC_OFFSET)).isEqualTo(0x4D525743);
    assertThat(buf.getShort(ObjectFraming.VERSION_OFFSET)).isEqualTo((short) 1);
    assertThat(buf.getShort(ObjectFraming.MIN_COMPATIBLE_VERSION_OFFSET)).isEqualTo((short) 1);
    assertThat(buf.getInt(ObjectFraming.HEADER_LENGTH_OFFSET)).isEqualTo(23 + 4 + 4);
    assertThat(b[WalChunkCodec.KIND_OFFSET]).isEqualTo((byte) 1);
    assertThat(buf.getLong(WalChunkCodec.CHUNK_SEQ_OFFSET)).isEqualTo(77);
    assertThat(buf.getShort(WalChunkCodec.CHANNEL_ID_LENGTH_OFFSET)).isEqualTo((short) 4);
    assertThat(new String(b, WalChunkCodec.CHANNEL_ID_OFFSET, 4, StandardCharsets.UTF_8))
        .isEqualTo("chan");

    int section = 31;
    int sectionLength = buf.getInt(section + WalChunkCodec.SECTION_LENGTH_OFFSET);
    assertThat(buf.getShort(section + WalChunkCodec.SECTION_STREAM_ID_LENGTH_OFFSET))
        .isEqualTo((short) 1);
    assertThat(b[section + WalChunkCodec.SECTION_STREAM_ID_OFFSET]).isEqualTo((byte) 's');
    assertThat(buf.getLong(section + WalChunkCodec.SECTION_STREAM_ID_OFFSET + 1)).isEqualTo(5);
    assertThat(buf.getInt(section + WalChunkCodec.SECTION_STREAM_ID_OFFSET + 1 + 8)).isEqualTo(2);

    int t = b.length - WalChunkCodec.TRAILER_BYTES;
    long footerOffset = buf.getLong(t + ObjectFraming.TRAILER_FOOTER_OFFSET_OFFSET);
    assertThat(footerOffset).isEqualTo(section + 4 + sectionLength + 4);
    assertThat(buf.getInt(t + ObjectFraming.TRAILER_FOOTER_LENGTH_OFFSET))
        .isEqualTo(t - (int) footerOffset);
    assertThat(b[t + WalChunkCodec.TRAILER_KIND_OFFSET]).isEqualTo((byte) 1);
    assertThat(buf.getInt(t + WalChunkCodec.TRAILER_MAGIC_OFFSET)).isEqualTo(0x4D525743);
  }

  @Test
  void segmentHeaderIndexAndTrailerFieldsSitAtTheDocumentedOffsets() {
    byte[] b = SegmentCodec.encode("st", Fixtures.run(40, 900, 5), 2, 1 << 20);
    ByteBuffer buf = ByteBuffer.wrap(b);

    assertThat(SegmentCodec.STREAM_ID_OFFSET).isEqualTo(51);
    assertThat(SegmentCodec.TRAILER_BYTES).isEqualTo(24);
    assertThat(SegmentCodec.INDEX_ENTRY_BYTES).isEqualTo(28);
    assertThat(buf.getInt(ObjectFraming.MAGIC_OFFSET)).isEqualTo(0x4D525347);
    assertThat(buf.getInt(ObjectFraming.HEADER_LENGTH_OFFSET)).isEqualTo(51 + 2 + 4);
    assertThat(b[SegmentCodec.FLAGS_OFFSET]).isEqualTo((byte) 1);
    assertThat(buf.getLong(SegmentCodec.FIRST_SEQ_OFFSET)).isEqualTo(40);
    assertThat(buf.getLong(SegmentCodec.LAST_SEQ_OFFSET)).isEqualTo(44);
    assertThat(buf.getLong(SegmentCodec.FIRST_TIMESTAMP_OFFSET)).isEqualTo(900);
    assertThat(buf.getLong(SegmentCodec.LAST_TIMESTAMP_OFFSET)).isEqualTo(940);
    assertThat(buf.getInt(SegmentCodec.RECORD_COUNT_OFFSET)).isEqualTo(5);
    assertThat(buf.getShort(SegmentCodec.STREAM_ID_LENGTH_OFFSET)).isEqualTo((short) 2);

    int t = b.length - SegmentCodec.TRAILER_BYTES;
    int footer = (int) buf.getLong(t + ObjectFraming.TRAILER_FOOTER_OFFSET_OFFSET);
    assertThat(buf.getInt(footer)).isEqualTo(3);
    int second = footer + SegmentCodec.INDEX_COUNT_LENGTH + SegmentCodec.INDEX_ENTRY_BYTES;
    assertThat(buf.getLong(second + SegmentCodec.INDEX_ENTRY_SEQ_OFFSET)).isEqualTo(42);
    assertThat(buf.getLong(second + SegmentCodec.INDEX_ENTRY_TIMESTAMP_OFFSET)).isEqualTo(920);
    long blockOffset = buf.getLong(second + SegmentCodec.INDEX_ENTRY_BLOCK_OFFSET_OFFSET);
    assertThat(buf.getInt((int) blockOffset + SegmentCodec.BLOCK_RECORD_COUNT_OFFSET)).isEqualTo(2);
    assertThat(buf.getInt(t + ObjectFraming.TRAILER_FOOTER_LENGTH_OFFSET))
        .isEqualTo(SegmentCodec.INDEX_OVERHEAD + 3 * SegmentCodec.INDEX_ENTRY_BYTES);
    assertThat(buf.getInt(t + SegmentCodec.TRAILER_MAGIC_OFFSET)).isEqualTo(0x4D525347);
  }
}
