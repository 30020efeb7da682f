package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonCodecTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shapeErrorsNameTheOffendingField() {
    assertThatThrownBy(
            () ->
                JsonCodec.createBasinRequest(
                    utf8(
                        "{\"basin\":\"my-basin-1\",\"config\":{\"default_stream_config\":"
                            + "{\"storage_class\":\"gold\"}}}")))
        .isInstanceOfSatisfying(
            S2Exception.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_JSON))
        .hasMessageStartingWith("config.default_stream_config.storage_class:");
    assertThatThrownBy(
            () ->
                JsonCodec.appendInput(
                    utf8("{\"records\":[{},{\"headers\":[[\"a\"]]}]}"), RecordFormat.RAW))
        .hasMessageStartingWith("records[1].headers[0]:");
    assertThatThrownBy(() -> JsonCodec.streamReconfiguration(utf8("[]")))
        .hasMessageStartingWith("request body: expected an object");
    assertThatThrownBy(() -> JsonCodec.streamConfig(utf8("{\"retention_policy\":{}}")))
        .hasMessageStartingWith("retention_policy:");
  }

  @Test
  void aBareStreamConfigOfNullIsEmpty() {
    assertThat(JsonCodec.streamConfig(utf8("null"))).isEqualTo(StreamConfig.EMPTY);
    assertThat(JsonCodec.streamConfig(utf8("{\"retention_policy\":{\"age\":5}}")))
        .isEqualTo(new StreamConfig(null, RetentionPolicy.age(5), null, null));
  }

  @Test
  void nestedPatchesKeepResetAndSetFieldByField() {
    StreamReconfiguration patch =
        JsonCodec.streamReconfiguration(
            utf8("{\"delete_on_empty\":{\"min_age_secs\":null},\"timestamping\":null}"));
    assertThat(patch.storageClass()).isEqualTo(Patch.keep());
    assertThat(patch.timestamping()).isEqualTo(Patch.reset());
    assertThat(patch.deleteOnEmpty())
        .isEqualTo(
            Patch.set(new StreamReconfiguration.DeleteOnEmptyReconfiguration(Patch.reset())));
  }
}
