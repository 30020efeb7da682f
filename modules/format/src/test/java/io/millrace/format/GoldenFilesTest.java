package io.millrace.format;

import static io.millrace.format.GoldenFiles.CHUNK_SECTIONS;
import static io.millrace.format.GoldenFiles.SEGMENT_RECORDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.SequencedRecord;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decodes the committed version-1 objects under {@code src/test/resources/golden/}. Every later
 * reader must still pass these tests unchanged.
 */
class GoldenFilesTest {

  @Test
  void versionOneChunkStillDecodes() throws IOException {
    WalObject object = WalChunkCodec.decode(golden(GoldenFiles.CHUNK_V1));

    assertThat(object).isInstanceOf(WalObject.Chunk.class);
    WalObject.Chunk chunk = (WalObject.Chunk) object;
    assertThat(chunk.channelId()).isEqualTo("node-a.chan-3.01J9Z");
    assertThat(chunk.chunkSeq()).isEqualTo(41);
    assertThat(chunk.sections())
        .extracting(StreamSection::streamId, StreamSection::epoch)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("stream-0001", 2L),
            org.assertj.core.groups.Tuple.tuple("stream-0002", 7L),
            org.assertj.core.groups.Tuple.tuple("stream-0003", 0L));
    assertThat(chunk.sections()).isEqualTo(CHUNK_SECTIONS);
  }

  @Test
  void versionOneChunkKeepsItsCommandRecordsAndBinaryBodies() throws IOException {
    StreamSection section =
        WalChunkCodec.decodeSection(golden(GoldenFiles.CHUNK_V1), "stream-0002").orElseThrow();

    List<SequencedRecord> records = section.records();
    assertThat(records).extracting(SequencedRecord::seqNum).containsExactly(300L, 301L, 302L);
    assertThat(CommandRecords.commandOf(records.get(0).headers(), records.get(0).body()))
        .isEqualTo(new CommandRecords.Fence("writer-b"));
    assertThat(CommandRecords.commandOf(records.get(1).headers(), records.get(1).body()))
        .isEqualTo(new CommandRecords.Trim(300));
    assertThat(records.get(2).body())
        .hasSize(200)
        .startsWith(0, 1, 2)
        .endsWith((byte) 198, (byte) 199);
    StreamSection first =
        WalChunkCodec.decodeSection(golden(GoldenFiles.CHUNK_V1), "stream-0001").orElseThrow();
    assertThat(first.records().get(1).body()).containsExactly(0x00, 0xFF, 0x7F, 0x80, 0x0A, 0x0D);
  }

  @Test
  void versionOneSealStillDecodes() throws IOException {
    assertThat(WalChunkCodec.decode(golden(GoldenFiles.SEAL_V1)))
        .isEqualTo(new WalObject.Seal("node-b.chan-0.01J9Y", 1_000_000));
  }

  @Test
  void versionOneSegmentStillDecodes() throws IOException {
    byte[] segment = golden(GoldenFiles.SEGMENT_V1);

    assertThat(SegmentCodec.readMeta(segment))
        .isEqualTo(new SegmentMeta("stream-0001", 100, 109, 5000, 5070, 10));
    assertThat(SegmentCodec.decode(segment)).isEqualTo(SEGMENT_RECORDS);
    assertThat(SegmentCodec.decodeFrom(segment, 105))
        .extracting(SequencedRecord::seqNum)
        .containsExactly(105L, 106L, 107L, 108L, 109L);
    assertThat(SegmentCodec.decodeFromTimestamp(segment, 5035))
        .extracting(SequencedRecord::seqNum)
        .containsExactly(105L, 106L, 107L, 108L, 109L);
    assertThat(SegmentCodec.decodeFromTimestamp(segment, 5000).get(0).seqNum()).isEqualTo(100);
  }

  @Test
  void versionOneEncoderStillWritesTheGoldenBytes() throws IOException {
    // When a later version changes what the encoder writes, this test moves to the new golden
    // files; the decode tests above stay.
    assertThat(GoldenFiles.chunkV1()).isEqualTo(golden(GoldenFiles.CHUNK_V1));
    assertThat(GoldenFiles.sealV1()).isEqualTo(golden(GoldenFiles.SEAL_V1));
    assertThat(GoldenFiles.segmentV1()).isEqualTo(golden(GoldenFiles.SEGMENT_V1));
  }

  private static byte[] golden(String name) throws IOException {
    try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("golden file %s", name).isNotNull();
      return in.readAllBytes();
    }
  }
}
