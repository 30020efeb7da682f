package io.millrace.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import io.millrace.core.S2Exception;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import org.junit.jupiter.api.Test;
import s2.v1alpha.StreamConfig.Timestamping.Builder;

class GrpcReconfigurationTest {
  private static final StreamConfig CURRENT =
      new StreamConfig(
          StorageClass.STANDARD,
          RetentionPolicy.age(60),
          new Timestamping(TimestampingMode.ARRIVAL, true),
          new DeleteOnEmpty(5L));

  private static FieldMask mask(String... paths) {
    return FieldMask.newBuilder().addAllPaths(java.util.List.of(paths)).build();
  }

  @Test
  void onlyMaskedFieldsChangeAndAMaskedUnsetFieldIsReset() {
    s2.v1alpha.StreamConfig config =
        s2.v1alpha.StreamConfig.newBuilder()
            .setStorageClass(s2.v1alpha.StorageClass.STORAGE_CLASS_EXPRESS)
            .setAge(0)
            .build();
    StreamConfig after =
        GrpcReconfiguration.stream(config, mask("storage_class", "timestamping.mode"))
            .applyTo(CURRENT);
    assertThat(after.storageClass()).isEqualTo(StorageClass.EXPRESS);
    assertThat(after.retentionPolicy()).as("not in the mask").isEqualTo(RetentionPolicy.age(60));
    assertThat(after.timestamping()).isEqualTo(new Timestamping(null, true));
    assertThat(after.deleteOnEmpty()).isEqualTo(new DeleteOnEmpty(5L));
  }

  @Test
  void anAgeOfZeroIsInfiniteRetentionAndWithoutAMaskTheSetFieldsAreTheMask() {
    Builder ts =
        s2.v1alpha.StreamConfig.Timestamping.newBuilder()
            .setMode(s2.v1alpha.TimestampingMode.TIMESTAMPING_MODE_CLIENT_REQUIRE);
    s2.v1alpha.StreamConfig config =
        s2.v1alpha.StreamConfig.newBuilder().setAge(0).setTimestamping(ts).build();
    StreamConfig after =
        GrpcReconfiguration.stream(config, FieldMask.getDefaultInstance()).applyTo(CURRENT);
    assertThat(after.retentionPolicy()).isEqualTo(RetentionPolicy.INFINITE);
    assertThat(after.timestamping())
        .isEqualTo(new Timestamping(TimestampingMode.CLIENT_REQUIRE, true));
    assertThat(after.storageClass()).isEqualTo(StorageClass.STANDARD);
  }

  @Test
  void basinMasksReachIntoTheDefaultStreamConfig() {
    BasinConfig current = new BasinConfig(CURRENT, null, false, true);
    s2.v1alpha.BasinConfig config =
        s2.v1alpha.BasinConfig.newBuilder()
            .setCreateStreamOnAppend(true)
            .setDefaultStreamConfig(s2.v1alpha.StreamConfig.newBuilder().setAge(10))
            .build();
    BasinConfig after =
        GrpcReconfiguration.basin(
                config, mask("create_stream_on_append", "default_stream_config.retention_policy"))
            .applyTo(current);
    assertThat(after.createStreamOnAppend()).isTrue();
    assertThat(after.createStreamOnRead()).isTrue();
    assertThat(after.defaultStreamConfig().retentionPolicy()).isEqualTo(RetentionPolicy.age(10));
    assertThat(after.defaultStreamConfig().storageClass()).isEqualTo(StorageClass.STANDARD);
  }

  @Test
  void unknownPathsAndUnknownEnumValuesAreRejected() {
    assertThatThrownBy(
            () ->
                GrpcReconfiguration.stream(
                    s2.v1alpha.StreamConfig.getDefaultInstance(), mask("colour")))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("unknown field mask path 'colour'");
    s2.v1alpha.StreamConfig unknownClass =
        s2.v1alpha.StreamConfig.newBuilder().setStorageClassValue(42).build();
    assertThatThrownBy(() -> GrpcCodec.streamConfig(unknownClass))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("unknown storage_class enum value 42")
        .extracting(e -> ((S2Exception) e).code().code())
        .isEqualTo("bad_proto");
  }
}
