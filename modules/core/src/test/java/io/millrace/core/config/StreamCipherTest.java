package io.millrace.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import org.junit.jupiter.api.Test;

class StreamCipherTest {

  @Test
  void aes256GcmIsAppliedAndAegis256IsRefusedAsInvalid() {
    assertThat(StreamCipher.requireSupported("aes-256-gcm")).isEqualTo(StreamCipher.AES_256_GCM);
    assertThat(StreamCipher.requireSupported(null)).isNull();
    assertThatThrownBy(() -> StreamCipher.requireSupported("aegis-256"))
        .isInstanceOfSatisfying(
            S2Exception.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID))
        .hasMessageContaining("aegis-256");
    assertThatThrownBy(() -> new BasinConfig(null, "aegis-256", false, false).validate())
        .isInstanceOf(S2Exception.class);
  }

  @Test
  void onlyVersionedStoredNamesMeanTheRecordsAreSealed() {
    assertThat(StreamCipher.ofStored("aes-256-gcm/v1")).isEqualTo(StreamCipher.AES_256_GCM);
    assertThat(StreamCipher.ofStored("aes-256-gcm")).isNull();
    assertThat(StreamCipher.ofStored("aegis-256")).isNull();
    assertThat(StreamCipher.ofStored(null)).isNull();
  }
}
