package io.millrace.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.api.ProvisionResult;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.TimestampingMode;
import org.junit.jupiter.api.Test;

class WireNamedTest {
  @Test
  void theEnumsAreNamedOnTheWireAsTheS2ApiNamesThem() {
    assertThat(StorageClass.STANDARD.wire()).isEqualTo("standard");
    assertThat(StorageClass.EXPRESS.wire()).isEqualTo("express");
    assertThat(TimestampingMode.CLIENT_PREFER.wire()).isEqualTo("client-prefer");
    assertThat(TimestampingMode.CLIENT_REQUIRE.wire()).isEqualTo("client-require");
    assertThat(TimestampingMode.ARRIVAL.wire()).isEqualTo("arrival");
    assertThat(ProvisionResult.CREATED.wire()).isEqualTo("created");
    assertThat(ProvisionResult.UPDATED.wire()).isEqualTo("updated");
    assertThat(ProvisionResult.NOOP.wire()).isEqualTo("noop");
  }

  @Test
  void aWireNameIsReadBackAndAnUnknownOneIsNull() {
    assertThat(TimestampingMode.fromWire("client-require"))
        .isEqualTo(TimestampingMode.CLIENT_REQUIRE);
    assertThat(StorageClass.fromWire("express")).isEqualTo(StorageClass.EXPRESS);
    assertThat(StorageClass.fromWire("EXPRESS")).isNull();
    assertThat(StorageClass.fromWire(null)).isNull();
  }
}
