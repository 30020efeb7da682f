package io.millrace.format;

import static io.millrace.format.Fixtures.fence;
import static io.millrace.format.Fixtures.record;
import static io.millrace.format.Fixtures.run;
import static io.millrace.format.Fixtures.trim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.format.WalChunkCodec.FooterEntry;
import io.millrace.format.WalChunkCodec.Kind;
import io.millrace.format.WalChunkCodec.Trailer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WalChunkCodecTest {

  private static final List<StreamSection> THREE_STREAMS =
      List.of(
          new StreamSection("stream-a", 3, run(0, 1000, 3)),
          new StreamSection("stream-b", 1, List.of(fence(7, 5, "tok"), trim(8, 6, 4))),
          new StreamSection("stream-c", 9, List.of(record(42, 7, ""))));

  @Test
  void chunkWithSeveralStreamsDecodesToTheSameSections() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);

    assertThat(WalChunkCodec.decode(bytes))
        .isEqualTo(new WalObject.Chunk("chan-1", 17, THREE_STREAMS));
  }

  @Test
  void randomChunksRoundTrip() {
    RandomRecords gen = new RandomRecords(7);
    for (int i = 0; i < 200; i++) {
      List<StreamSection> sections = new ArrayList<>();
      int streams = gen.nextInt(6);
      for (int s = 0; s < streams; s++) {
        sections.add(new StreamSection(gen.id(), gen.anyLong(), gen.run(gen.nextInt(8))));
      }
      String channel = "chan-" + gen.nextInt(1000);
      long chunkSeq = gen.anyLong() & Long.MAX_VALUE;

      byte[] bytes = WalChunkCodec.encodeChunk(channel, chunkSeq, sections);

      assertThat(WalChunkCodec.decode(bytes))
          .isEqualTo(new WalObject.Chunk(channel, chunkSeq, sections));
      for (StreamSection section : sections) {
        assertThat(WalChunkCodec.decodeSection(bytes, section.streamId())).contains(section);
      }
    }
  }

  @Test
  void theSizeComputedBeforeEncodingIsExactlyTheChunkLengthEvenWithNonAsciiIds() {
    // The encoder sizes its buffer with encodedSize so that the chunk is not copied once more;
    // a wrong size would still encode correctly but cost a copy of every chunk.
    RandomRecords gen = new RandomRecords(3);
    List<String> ids = List.of("stream-a", "é-stream", "流-stream", "emoji-\uD83D\uDE00", "");
    for (int i = 0; i < 100; i++) {
      List<StreamSection> sections = new ArrayList<>();
      int streams = gen.nextInt(ids.size() + 1);
      for (int s = 0; s < streams; s++) {
        sections.add(new StreamSection(ids.get(s), gen.anyLong(), gen.run(gen.nextInt(8))));
      }
      String channel = ids.get(gen.nextInt(ids.size())) + "-chan";

      byte[] bytes = WalChunkCodec.encodeChunk(channel, i, sections);

      assertThat(WalChunkCodec.encodedSize(channel, sections)).isEqualTo(bytes.length);
      assertThat(WalChunkCodec.decode(bytes)).isEqualTo(new WalObject.Chunk(channel, i, sections));
    }
    assertThat(WalChunkCodec.encodedSize("流", List.of()))
        .isEqualTo(WalChunkCodec.encodeSeal("流", 0).length);
  }

  @Test
  void chunkWithoutSectionsRoundTrips() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan", 0, List.of());

    assertThat(WalChunkCodec.decode(bytes)).isEqualTo(new WalObject.Chunk("chan", 0, List.of()));
    assertThat(WalChunkCodec.decodeSection(bytes, "any")).isEmpty();
  }

  @Test
  void sealDecodesAsSealAndHasNoSections() {
    byte[] bytes = WalChunkCodec.encodeSeal("chan-9", 4);

    assertThat(WalChunkCodec.decode(bytes)).isEqualTo(new WalObject.Seal("chan-9", 4));
    assertThat(WalChunkCodec.decodeSection(bytes, "stream-a")).isEmpty();
    assertThat(WalChunkCodec.decodeTrailer(bytes).kind()).isEqualTo(Kind.SEAL);
  }

  @Test
  void decodeSectionPicksTheRequestedStreamAmongMany() {
    RandomRecords gen = new RandomRecords(3);
    List<StreamSection> sections = new ArrayList<>();
    for (int s = 0; s < 40; s++) {
      sections.add(new StreamSection("s" + s, s, gen.run(1 + gen.nextInt(5))));
    }
    byte[] bytes = WalChunkCodec.encodeChunk("ch", 0, sections);

    for (StreamSection section : sections) {
      assertThat(WalChunkCodec.decodeSection(bytes, section.streamId())).contains(section);
    }
    assertThat(WalChunkCodec.decodeSection(bytes, "s40")).isEmpty();
  }

  @Test
  void rangedReadOfTrailerThenFooterThenOneSectionFindsTheStream() {
    byte[] object = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);

    byte[] suffix =
        Bytes.slice(
            object, object.length - WalChunkCodec.TRAILER_BYTES, WalChunkCodec.TRAILER_BYTES);
    Trailer trailer = WalChunkCodec.decodeTrailer(suffix);
    List<FooterEntry> footer =
        WalChunkCodec.decodeFooter(
            Bytes.slice(object, trailer.footerOffset(), trailer.footerLength()));
    FooterEntry entry =
        footer.stream().filter(e -> e.streamId().equals("stream-b")).findFirst().orElseThrow();
    StreamSection section =
        WalChunkCodec.decodeSectionAt(
            Bytes.slice(object, entry.sectionOffset(), entry.sectionLength()));

    assertThat(trailer.kind()).isEqualTo(Kind.CHUNK);
    assertThat(trailer.version()).isEqualTo(1);
    assertThat(footer)
        .extracting(FooterEntry::streamId)
        .containsExactly("stream-a", "stream-b", "stream-c");
    assertThat(section).isEqualTo(THREE_STREAMS.get(1));
  }

  private static final List<byte[]> CHUNK_AND_SEAL =
      List.of(
          WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS),
          WalChunkCodec.encodeSeal("chan-1", 5));

  @Test
  void flippingAnyByteOfAChunkOrSealIsDetected() {
    for (byte[] bytes : CHUNK_AND_SEAL) {
      Bytes.assertEveryFlipIsCorrupt(bytes, WalChunkCodec::decode);
    }
  }

  @Test
  void truncatingAChunkOrSealAtAnyPositionIsDetected() {
    for (byte[] bytes : CHUNK_AND_SEAL) {
      Bytes.assertEveryTruncationIsCorrupt(bytes, WalChunkCodec::decode);
      Bytes.assertEveryTruncationIsCorrupt(bytes, b -> WalChunkCodec.decodeSection(b, "stream-b"));
    }
  }

  @Test
  void decodeSectionDetectsCorruptionOfTheRequestedSectionOnly() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);
    List<FooterEntry> footer = footerOf(bytes);
    FooterEntry a = footer.get(0);
    FooterEntry b = footer.get(1);

    Bytes.assertEveryFlipIsCorrupt(
        bytes,
        b.sectionOffset(),
        b.sectionOffset() + b.sectionLength(),
        corrupt -> WalChunkCodec.decodeSection(corrupt, "stream-b"));
    byte[] otherCorrupt = Bytes.flip(bytes, (int) (a.sectionOffset() + a.sectionLength() / 2));
    assertThat(WalChunkCodec.decodeSection(otherCorrupt, "stream-b"))
        .contains(THREE_STREAMS.get(1));
    Bytes.assertCorrupt(() -> WalChunkCodec.decodeSection(otherCorrupt, "stream-a"), "checksum");
  }

  @Test
  void checksumMismatchNamesThePart() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);
    FooterEntry c = footerOf(bytes).get(2);

    byte[] corrupt = Bytes.flip(bytes, (int) c.sectionOffset() + 8);

    Bytes.assertCorrupt(() -> WalChunkCodec.decode(corrupt), "section", "checksum mismatch");
  }

  @Test
  void objectThatIsNotAWalObjectIsRejectedForItsMagic() {
    byte[] bytes = new byte[100];

    Bytes.assertCorrupt(() -> WalChunkCodec.decode(bytes), "magic");
  }

  @Test
  void objectNeedingANewerReaderIsRejectedSayingSo() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);
    byte[] newer = Bytes.withVersions(bytes, WalChunkCodec.TRAILER_BYTES, 3, 2);

    Bytes.assertCorrupt(
        () -> WalChunkCodec.decode(newer), "needs a reader of version 2", "knows up to version 1");
    Bytes.assertCorrupt(
        () -> WalChunkCodec.decodeSection(newer, "stream-a"), "needs a reader of version 2");
  }

  @Test
  void objectFromANewerWriterThatKeepsVersionOneCompatibleStillDecodes() {
    byte[] bytes = WalChunkCodec.encodeChunk("chan-1", 17, THREE_STREAMS);
    byte[] newer = Bytes.withVersions(bytes, WalChunkCodec.TRAILER_BYTES, 2, 1);

    assertThat(WalChunkCodec.decode(newer))
        .isEqualTo(new WalObject.Chunk("chan-1", 17, THREE_STREAMS));
    assertThat(WalChunkCodec.decodeTrailer(newer).version()).isEqualTo(2);
  }

  @Test
  void sealWithHeaderExtensionBytesFromANewerWriterStillDecodes() {
    byte[] seal = WalChunkCodec.encodeSeal("chan-1", 5);
    int h = Bytes.headerLength(seal);
    byte[] extra = {9, 8, 7, 6, 5};

    byte[] extended = Bytes.insert(seal, h - ObjectFraming.CHECKSUM_LENGTH, extra);
    Bytes.putI32(extended, ObjectFraming.HEADER_LENGTH_OFFSET, h + extra.length);
    Bytes.fixCrc(extended, 0, h + extra.length - ObjectFraming.CHECKSUM_LENGTH);
    int t = extended.length - WalChunkCodec.TRAILER_BYTES;
    int footerOffsetAt = t + ObjectFraming.TRAILER_FOOTER_OFFSET_OFFSET;
    Bytes.putI64(extended, footerOffsetAt, Bytes.getI64(extended, footerOffsetAt) + extra.length);
    byte[] newer = Bytes.withVersions(extended, WalChunkCodec.TRAILER_BYTES, 2, 1);

    assertThat(WalChunkCodec.decode(newer)).isEqualTo(new WalObject.Seal("chan-1", 5));
  }

  @Test
  void encodingTwoSectionsForOneStreamIsRefused() {
    List<StreamSection> twice =
        List.of(new StreamSection("s", 1, run(0, 0, 1)), new StreamSection("s", 1, run(1, 0, 1)));

    assertThatThrownBy(() -> WalChunkCodec.encodeChunk("ch", 0, twice))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void objectKeyHasTwentyDigitChunkSeq() {
    assertThat(WalChunkCodec.objectKey("ch-1", 42)).isEqualTo("wal/ch-1/00000000000000000042");
  }

  @Test
  void trailerSizeIsDerivedFromItsFields() {
    assertThat(WalChunkCodec.TRAILER_BYTES).isEqualTo(8 + 4 + 2 + 2 + 1 + 4 + 4);
  }

  private static List<FooterEntry> footerOf(byte[] object) {
    Trailer t = WalChunkCodec.decodeTrailer(object);
    return WalChunkCodec.decodeFooter(Bytes.slice(object, t.footerOffset(), t.footerLength()));
  }
}
