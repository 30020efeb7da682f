package io.millrace.format;

import static io.millrace.format.Fixtures.fence;
import static io.millrace.format.Fixtures.record;
import static io.millrace.format.Fixtures.run;
import static io.millrace.format.Fixtures.trim;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WalChunkCodecTest {

  @Test
  void chunkWithSeveralStreamsDecodesToTheSameSections() {
    List<StreamSection> sections =
        List.of(
            new StreamSection("stream-a", 3, run(0, 1000, 5)),
            new StreamSection("stream-b", 1, List.of(fence(7, 5, "tok"), trim(8, 6, 4))),
            new StreamSection("stream-c", 9, List.of(record(42, 7, ""))));

    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, sections);

    assertThat(WalChunkCodec.decode(bytes)).isEqualTo(new WalObject.Chunk("chan-1", 17, sections));
  }

  @Test
  void sealDecodesAsSealAndHasNoSections() {
    byte[] bytes = WalChunkCodec.encodeSeal("chan-9", 4);

    assertThat(WalChunkCodec.decode(bytes)).isEqualTo(new WalObject.Seal("chan-9", 4));
    assertThat(WalChunkCodec.decodeSection(bytes, "stream-a")).isEmpty();
  }

  @Test
  void decodeSectionPicksTheRequestedStream() {
    List<StreamSection> sections =
        List.of(
            new StreamSection("a", 1, run(0, 0, 3)),
            new StreamSection("b", 2, run(10, 50, 4)),
            new StreamSection("c", 3, run(20, 90, 2)));
    byte[] bytes = WalChunkCodec.encodeChunk("ch", 0, sections);

    assertThat(WalChunkCodec.decodeSection(bytes, "b")).contains(sections.get(1));
    assertThat(WalChunkCodec.decodeSection(bytes, "c")).contains(sections.get(2));
    assertThat(WalChunkCodec.decodeSection(bytes, "missing")).isEmpty();
  }
}
