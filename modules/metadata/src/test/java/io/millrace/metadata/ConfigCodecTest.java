package io.millrace.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import org.junit.jupiter.api.Test;

class ConfigCodecTest {

  @Test
  void aResolvedStreamConfigHasTheDocumentedJson() {
    assertThat(ConfigCodec.toJson(StreamConfig.SYSTEM_DEFAULT))
        .isEqualTo(
            "{\"v\":1,\"storage_class\":\"express\",\"retention_policy\":{\"age_secs\":604800},"
                + "\"timestamping\":{\"mode\":\"client-prefer\",\"uncapped\":false},"
                + "\"delete_on_empty\":{\"min_age_secs\":0}}");
  }

  @Test
  void aBasinConfigHasTheDocumentedJson() {
    BasinConfig c =
        new BasinConfig(
            new StreamConfig(StorageClass.STANDARD, RetentionPolicy.INFINITE, null, null),
            "aegis-256",
            true,
            false);
    assertThat(ConfigCodec.toJson(c))
        .isEqualTo(
            "{\"v\":1,\"default_stream_config\":{\"storage_class\":\"standard\","
                + "\"retention_policy\":{\"infinite\":true}},\"stream_cipher\":\"aegis-256\","
                + "\"create_stream_on_append\":true,\"create_stream_on_read\":false}");
  }

  @Test
  void unsetFieldsAtEveryLevelStayUnset() {
    StreamConfig partial =
        new StreamConfig(null, null, new Timestamping(null, true), new DeleteOnEmpty(null));
    String json = ConfigCodec.toJson(partial);

    assertThat(json)
        .isEqualTo("{\"v\":1,\"timestamping\":{\"uncapped\":true},\"delete_on_empty\":{}}");
    assertThat(ConfigCodec.streamConfigFromJson(json)).isEqualTo(partial);
    assertThat(ConfigCodec.streamConfigFromJson(ConfigCodec.toJson(StreamConfig.EMPTY)))
        .isEqualTo(StreamConfig.EMPTY);
    BasinConfig basin =
        new BasinConfig(
            new StreamConfig(null, null, new Timestamping(TimestampingMode.ARRIVAL, null), null),
            null,
            false,
            true);
    assertThat(ConfigCodec.basinConfigFromJson(ConfigCodec.toJson(basin))).isEqualTo(basin);
    assertThat(ConfigCodec.fromJson(ConfigCodec.toJson(BasinConfig.DEFAULT), BasinConfig.class))
        .isEqualTo(BasinConfig.DEFAULT);
  }

  @Test
  void nullConfigsMapToNullJson() {
    assertThat(ConfigCodec.toJson((StreamConfig) null)).isNull();
    assertThat(ConfigCodec.toJson((BasinConfig) null)).isNull();
    assertThat(ConfigCodec.streamConfigFromJson(null)).isNull();
    assertThat(ConfigCodec.basinConfigFromJson(null)).isNull();
  }

  @Test
  void unknownFieldsAreIgnoredAndUnknownVersionsRejected() {
    assertThat(ConfigCodec.streamConfigFromJson("{\"v\":1,\"storage_class\":\"standard\",\"x\":3}"))
        .isEqualTo(new StreamConfig(StorageClass.STANDARD, null, null, null));
    assertThatThrownBy(() -> ConfigCodec.streamConfigFromJson("{\"v\":2}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version 2");
    assertThatThrownBy(() -> ConfigCodec.streamConfigFromJson("{}"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> ConfigCodec.streamConfigFromJson("{\"v\":1,\"storage_class\":\"gold\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gold");
    assertThatThrownBy(() -> ConfigCodec.basinConfigFromJson("not json"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
