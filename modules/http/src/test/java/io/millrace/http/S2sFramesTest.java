package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.http.S2sFrames.Compression;
import io.millrace.http.S2sFrames.Frame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class S2sFramesTest {

  private static byte[] payload(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + i % 7);
    }
    return b;
  }

  private static ByteString raw(int length, int flags, byte[] body) {
    byte[] out = new byte[4 + body.length];
    out[0] = (byte) (length >> 16);
    out[1] = (byte) (length >> 8);
    out[2] = (byte) length;
    out[3] = (byte) flags;
    System.arraycopy(body, 0, out, 4, body.length);
    return ByteString.fromArray(out);
  }

  private static void assertBadFrame(Compression offered, ByteString bytes, String messagePart) {
    assertThatThrownBy(() -> new S2sFrames.Decoder(offered).push(bytes))
        .isInstanceOf(S2Exception.class)
        .satisfies(e -> assertThat(((S2Exception) e).code()).isEqualTo(ErrorCode.BAD_FRAME))
        .hasMessageContaining(messagePart);
  }

  @Test
  void aRegularFrameHasAThreeByteLengthCountingTheFlagsByte() {
    ByteString f = S2sFrames.encode(new byte[] {1, 2, 3}, Compression.NONE);
    assertThat(f.toArray()).containsExactly(0, 0, 4, 0, 1, 2, 3);
  }

  @Test
  void smallPayloadsAreNeverCompressed() {
    ByteString f = S2sFrames.encode(payload(1023), Compression.ZSTD);
    assertThat(f.apply(3) & 0x60).isZero();
    assertThat(f.size()).isEqualTo(4 + 1023);
  }

  @Test
  void largePayloadsUseTheNegotiatedCompressionAndDecodeBack() {
    for (Compression c : List.of(Compression.ZSTD, Compression.GZIP)) {
      byte[] p = payload(64 * 1024);
      ByteString f = S2sFrames.encode(p, c);
      assertThat(f.apply(3) & 0x60).isEqualTo(c.bits);
      assertThat(f.size()).isLessThan(p.length);
      List<Frame> frames = new S2sFrames.Decoder(c).push(f);
      assertThat(frames).hasSize(1);
      assertThat(frames.get(0).payload()).isEqualTo(p);
      assertThat(frames.get(0).compression()).isEqualTo(c);
    }
  }

  @Test
  void aTerminalFrameCarriesTheStatusThenTheJsonBody() {
    byte[] json = "{\"seq_num_mismatch\":5}".getBytes(StandardCharsets.UTF_8);
    ByteString f = S2sFrames.terminal(412, json);
    byte[] b = f.toArray();
    int length = ((b[0] & 0xFF) << 16) | ((b[1] & 0xFF) << 8) | (b[2] & 0xFF);
    assertThat(length).isEqualTo(1 + 2 + json.length);
    assertThat(b[3] & 0xFF).isEqualTo(0x80);
    assertThat(((b[4] & 0xFF) << 8) | (b[5] & 0xFF)).isEqualTo(412);
    assertThat(new String(b, 6, b.length - 6, StandardCharsets.UTF_8))
        .isEqualTo("{\"seq_num_mismatch\":5}");
  }

  @Test
  void framesSplitAnywhereAcrossChunksAreReassembledInOrder() {
    ByteString all = ByteString.emptyByteString();
    List<byte[]> sent = new ArrayList<>();
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      byte[] p = new byte[random.nextInt(3000)];
      random.nextBytes(p);
      sent.add(p);
      all = all.concat(S2sFrames.encode(p, Compression.GZIP));
    }
    S2sFrames.Decoder d = new S2sFrames.Decoder(Compression.GZIP);
    List<byte[]> got = new ArrayList<>();
    int pos = 0;
    while (pos < all.size()) {
      int n = Math.min(all.size() - pos, 1 + random.nextInt(700));
      for (Frame f : d.push(all.slice(pos, pos + n))) {
        got.add(f.payload());
      }
      pos += n;
    }
    assertThat(d.hasPartialFrame()).isFalse();
    assertThat(got).hasSize(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      assertThat(got.get(i)).isEqualTo(sent.get(i));
    }
  }

  @Test
  void anIncompleteFrameIsBufferedAndReportedAsPartial() {
    ByteString f = S2sFrames.encode(payload(10), Compression.NONE);
    S2sFrames.Decoder d = new S2sFrames.Decoder(Compression.NONE);
    assertThat(d.push(f.slice(0, 6))).isEmpty();
    assertThat(d.hasPartialFrame()).isTrue();
    assertThat(d.push(f.slice(6, f.size()))).hasSize(1);
    assertThat(d.hasPartialFrame()).isFalse();
  }

  @Test
  void anEmptyPayloadIsAValidFrame() {
    List<Frame> frames = new S2sFrames.Decoder(Compression.NONE).push(raw(1, 0, new byte[0]));
    assertThat(frames).hasSize(1);
    assertThat(frames.get(0).payload()).isEmpty();
  }

  @Test
  void aZeroLengthIsABadFrame() {
    assertBadFrame(Compression.NONE, raw(0, 0, new byte[0]), "length is 0");
  }

  @Test
  void aLengthAboveTwoMebibytesIsABadFrameBeforeTheBodyArrives() {
    assertBadFrame(Compression.NONE, raw(2 * 1024 * 1024 + 1, 0, new byte[0]), "exceeds");
  }

  @Test
  void aTerminalFrameFromAClientIsABadFrame() {
    assertBadFrame(Compression.NONE, raw(3, 0x80, new byte[] {1, (byte) 0x90}), "terminal");
  }

  @Test
  void compressionBitsElevenAreABadFrame() {
    assertBadFrame(Compression.ZSTD, raw(2, 0x60, new byte[] {1}), "compression bits 11");
  }

  @Test
  void aCompressionTheServerDidNotOfferIsABadFrame() {
    byte[] z = Zstd.compress(payload(2000));
    assertBadFrame(Compression.NONE, raw(1 + z.length, 0x20, z), "did not offer");
    assertBadFrame(Compression.ZSTD, raw(1 + z.length, 0x40, z), "did not offer");
  }

  @Test
  void reservedFlagBitsAreABadFrame() {
    assertBadFrame(Compression.NONE, raw(2, 0x01, new byte[] {1}), "reserved");
  }

  @Test
  void aPayloadThatDoesNotDecompressIsABadFrame() {
    byte[] junk = payload(50);
    assertBadFrame(Compression.ZSTD, raw(1 + junk.length, 0x20, junk), "not valid zstd");
    assertBadFrame(Compression.GZIP, raw(1 + junk.length, 0x40, junk), "not valid gzip");
  }

  @Test
  void aPayloadThatDecompressesBeyondTheLimitIsABadFrame() {
    byte[] big = new byte[S2sFrames.MAX_PAYLOAD_BYTES + 10];
    Arrays.fill(big, (byte) 7);
    byte[] z = Zstd.compress(big);
    assertBadFrame(Compression.ZSTD, raw(1 + z.length, 0x20, z), "decompressed");
  }

  @Test
  void compressionIsNegotiatedZstdFirstThenGzip() {
    assertThat(Compression.negotiate("gzip, zstd")).isEqualTo(Compression.ZSTD);
    assertThat(Compression.negotiate("gzip")).isEqualTo(Compression.GZIP);
    assertThat(Compression.negotiate(null)).isEqualTo(Compression.NONE);
    assertThat(Compression.negotiate("br")).isEqualTo(Compression.NONE);
  }
}
