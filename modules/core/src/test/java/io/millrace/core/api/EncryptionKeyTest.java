package io.millrace.core.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class EncryptionKeyTest {
  private static final String H = "s2-encryption-key";

  private static byte[] key() {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (200 + i);
    }
    return k;
  }

  @Test
  void base64OfThirtyTwoBytesIsAKeyAndAbsenceIsNone() {
    String b64 = Base64.getEncoder().encodeToString(key());

    assertThat(EncryptionKey.fromBase64(b64, H).bytes()).isEqualTo(key());
    assertThat(EncryptionKey.fromBase64(" " + b64 + " ", H).bytes()).isEqualTo(key());
    assertThat(EncryptionKey.fromBase64(b64.replace("=", ""), H).bytes()).isEqualTo(key());
    assertThat(EncryptionKey.fromBase64(null, H)).isNull();
  }

  @Test
  void malformedOrWrongLengthKeysAreBadHeaderWithoutTheValue() {
    String sixteen = Base64.getEncoder().encodeToString(new byte[16]);
    String thirtyThree = Base64.getEncoder().encodeToString(new byte[33]);
    for (String bad : new String[] {"", "%%%not-base64%%%", sixteen, thirtyThree}) {
      assertThatThrownBy(() -> EncryptionKey.fromBase64(bad, H))
          .isInstanceOfSatisfying(
              S2Exception.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.BAD_HEADER);
                assertThat(e.getMessage()).contains(H);
                if (!bad.isEmpty()) {
                  assertThat(e.getMessage()).doesNotContain(bad);
                }
              });
    }
  }

  @Test
  void theKeyNeverShowsInItsStringAndCannotBeChangedThroughItsBytes() {
    EncryptionKey k = EncryptionKey.of(key());
    String b64 = Base64.getEncoder().encodeToString(key());

    assertThat(k.toString()).isEqualTo("EncryptionKey[redacted]").doesNotContain(b64);
    k.bytes()[0] = 0;
    assertThat(k.bytes()).isEqualTo(key());
    assertThatThrownBy(() -> EncryptionKey.of(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
