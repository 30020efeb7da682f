package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A damaged segment loses only its damaged blocks (issue 14, fault 4). */
class SegmentSalvageTest {
  private static byte[] segment(int records) {
    List<SequencedRecord> out = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      out.add(
          new SequencedRecord(
              100 + i, 5000 + i, List.of(), ("body-" + i).getBytes(StandardCharsets.UTF_8)));
    }
    return SegmentCodec.encode("stream-a", out, 10, 64 * 1024);
  }

  private static List<SegmentCodec.IndexEntry> index(byte[] segment) {
    SegmentCodec.Trailer t = SegmentCodec.decodeTrailer(segment);
    byte[] index = new byte[t.indexLength()];
    System.arraycopy(segment, (int) t.indexOffset(), index, 0, index.length);
    return SegmentCodec.decodeIndex(index);
  }

  @Test
  void aWholeSegmentIsReadInFull() {
    SegmentSalvage s = SegmentSalvage.of(segment(30), 100, 129);
    assertThat(s.whole()).isTrue();
    assertThat(s.records()).hasSize(30);
    assertThat(s.damaged()).isEmpty();
  }

  @Test
  void aFlippedByteInOneBlockLosesOnlyThatBlocksRecords() {
    byte[] seg = segment(30);
    SegmentCodec.IndexEntry middle = index(seg).get(1);
    seg[(int) middle.blockOffset() + middle.blockLength() / 2] ^= 0x40;

    SegmentSalvage s = SegmentSalvage.of(seg, 100, 129);
    assertThat(s.whole()).isFalse();
    assertThat(s.records())
        .extracting(SequencedRecord::seqNum)
        .hasSize(20)
        .contains(100L, 109L, 120L, 129L)
        .doesNotContain(110L, 119L);
    assertThat(s.damaged())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.firstSeqNum()).isEqualTo(110);
              assertThat(d.lastSeqNum()).isEqualTo(119);
              assertThat(d.reason()).contains("block 1");
            });
  }

  @Test
  void aDamagedIndexMakesTheWholeSegmentOneDamagedRange() {
    byte[] seg = segment(30);
    SegmentCodec.Trailer t = SegmentCodec.decodeTrailer(seg);
    seg[(int) t.indexOffset() + 6] ^= 0x01;

    SegmentSalvage s = SegmentSalvage.of(seg, 100, 129);
    assertThat(s.records()).isEmpty();
    assertThat(s.damaged())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.firstSeqNum()).isEqualTo(100);
              assertThat(d.lastSeqNum()).isEqualTo(129);
            });
  }

  @Test
  void aDamagedHeaderCostsNoRecord() {
    byte[] seg = segment(30);
    seg[14] ^= 0x01; // inside firstSeqNum of the header, covered by its checksum

    SegmentSalvage s = SegmentSalvage.of(seg, 100, 129);
    assertThat(s.whole()).isFalse();
    assertThat(s.damaged()).isEmpty();
    assertThat(s.records()).hasSize(30);
  }
}
