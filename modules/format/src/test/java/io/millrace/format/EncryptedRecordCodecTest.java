package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.record.Header;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class EncryptedRecordCodecTest {
  private static final String STREAM = "3f1c2a9e-7b64-4c1d-9a0e-5d2b8c7f6a10";
  private static final SecretKey KEY = key(7);
  private static final List<Header> HEADERS =
      List.of(
          new Header(utf8("content-type"), utf8("text/plain")), new Header(utf8("k"), utf8("")));
  private static final byte[] BODY = utf8("MARKER-secret-body");

  private static SecretKey key(int first) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (first + i);
    }
    return new SecretKeySpec(k, "AES");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] nonce() {
    byte[] n = new byte[12];
    for (int i = 0; i < n.length; i++) {
      n[i] = (byte) (i + 1);
    }
    return n;
  }

  @Test
  void aSealedRecordOpensWithItsKeyAndStream() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);

    EncryptedRecordCodec.Opened opened = EncryptedRecordCodec.open(KEY, STREAM, envelope);

    assertThat(opened.headers()).isEqualTo(HEADERS);
    assertThat(opened.body()).isEqualTo(BODY);
  }

  @Test
  void emptyHeadersAndEmptyBodiesRoundTrip() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, List.of(), new byte[0]);

    EncryptedRecordCodec.Opened opened = EncryptedRecordCodec.open(KEY, STREAM, envelope);

    assertThat(opened.headers()).isEmpty();
    assertThat(opened.body()).isEmpty();
    assertThat(envelope).hasSize(EncryptedRecordCodec.OVERHEAD + 2);
  }

  @Test
  void randomRecordsRoundTrip() {
    RandomRecords gen = new RandomRecords(3);
    for (int i = 0; i < 300; i++) {
      var r = gen.anyRecord();
      byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, r.headers(), r.body());
      EncryptedRecordCodec.Opened opened = EncryptedRecordCodec.open(KEY, STREAM, envelope);
      assertThat(opened.headers()).isEqualTo(r.headers());
      assertThat(opened.body()).isEqualTo(r.body());
    }
  }

  @Test
  void theEnvelopeHidesHeadersAndBodyAndNeverRepeatsANonce() {
    byte[] a = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);
    byte[] b = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);

    String text = new String(a, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain("MARKER").doesNotContain("content-type");
    assertThat(a[0]).isEqualTo((byte) EncryptedRecordCodec.VERSION);
    assertThat(Arrays.copyOfRange(a, 1, 13)).isNotEqualTo(Arrays.copyOfRange(b, 1, 13));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void anotherKeyDoesNotOpenTheRecord() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);

    assertThatThrownBy(() -> EncryptedRecordCodec.open(key(8), STREAM, envelope))
        .isInstanceOf(RecordDecryptionException.class)
        .hasMessageContaining("does not authenticate");
  }

  @Test
  void aRecordMovedToAnotherStreamDoesNotOpen() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);

    assertThatThrownBy(() -> EncryptedRecordCodec.open(KEY, STREAM + "x", envelope))
        .isInstanceOf(RecordDecryptionException.class);
  }

  @Test
  void everyAlteredByteIsDetected() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);
    for (int i = 0; i < envelope.length; i++) {
      byte[] altered = Bytes.flip(envelope, i);
      assertThatThrownBy(() -> EncryptedRecordCodec.open(KEY, STREAM, altered))
          .as("byte %d flipped", i)
          .isInstanceOf(RecordDecryptionException.class);
    }
  }

  @Test
  void truncatedOrForeignBodiesAreRefusedNotMisread() {
    byte[] envelope = EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY);
    for (int n = 0; n < envelope.length; n++) {
      byte[] cut = Arrays.copyOf(envelope, n);
      assertThatThrownBy(() -> EncryptedRecordCodec.open(KEY, STREAM, cut))
          .as("first %d bytes", n)
          .isInstanceOf(RecordDecryptionException.class);
    }
    assertThatThrownBy(
            () ->
                EncryptedRecordCodec.open(
                    KEY, STREAM, utf8("a plain text record body, longer than an envelope")))
        .isInstanceOf(RecordDecryptionException.class)
        .hasMessageContaining("envelope version");
  }

  /**
   * The committed golden envelope: version 1, sealed with key bytes 7..38 and nonce 1..12 for
   * {@link #STREAM}, headers {@link #HEADERS}, body {@link #BODY}. Every later version must still
   * open it.
   */
  @Test
  void theCommittedVersionOneEnvelopeStillOpens() throws Exception {
    byte[] golden;
    try (var in = getClass().getResourceAsStream("/golden/encrypted-record-v1.hex")) {
      golden =
          HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
    }

    assertThat(EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY, nonce())).isEqualTo(golden);
    EncryptedRecordCodec.Opened opened = EncryptedRecordCodec.open(KEY, STREAM, golden);
    assertThat(opened.headers()).isEqualTo(HEADERS);
    assertThat(opened.body()).isEqualTo(BODY);
    // Version 1, then the nonce, in the clear.
    assertThat(HexFormat.of().formatHex(golden)).startsWith("01" + "0102030405060708090a0b0c");
  }

  /** Prints the golden envelope (run once when a new version is added; never rewrite one). */
  public static void main(String[] args) {
    System.out.println(
        HexFormat.of().formatHex(EncryptedRecordCodec.seal(KEY, STREAM, HEADERS, BODY, nonce())));
  }
}
