package io.millrace.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import org.junit.jupiter.api.Test;

class StreamConfigTest {
  @Test
  void anEmptyConfigResolvesToTheSystemDefaults() {
    assertThat(StreamConfig.EMPTY.resolve(null))
        .isEqualTo(
            new StreamConfig(
                StorageClass.EXPRESS,
                RetentionPolicy.age(604800),
                new Timestamping(TimestampingMode.CLIENT_PREFER, false),
                new DeleteOnEmpty(0L)));
  }

  @Test
  void streamValuesWinOverBasinDefaultsWhichWinOverSystemDefaults() {
    StreamConfig basinDefault =
        new StreamConfig(
            StorageClass.STANDARD,
            RetentionPolicy.INFINITE,
            new Timestamping(TimestampingMode.ARRIVAL, null),
            null);
    StreamConfig stream =
        new StreamConfig(null, RetentionPolicy.age(60), new Timestamping(null, true), null);

    StreamConfig resolved = stream.resolve(basinDefault);

    assertThat(resolved.storageClass()).isEqualTo(StorageClass.STANDARD);
    assertThat(resolved.retentionPolicy()).isEqualTo(RetentionPolicy.age(60));
    assertThat(resolved.timestamping()).isEqualTo(new Timestamping(TimestampingMode.ARRIVAL, true));
    assertThat(resolved.deleteOnEmpty()).isEqualTo(new DeleteOnEmpty(0L));
  }

  @Test
  void aRetentionAgeOfZeroIsInvalid() {
    StreamConfig config = new StreamConfig(null, RetentionPolicy.age(0), null, null);
    assertThatThrownBy(config::validate)
        .isInstanceOf(S2Exception.class)
        .satisfies(e -> assertThat(((S2Exception) e).code()).isEqualTo(ErrorCode.INVALID))
        .hasMessageContaining("greater than 0");
  }

  @Test
  void aPatchKeepsAbsentFieldsResetsNullFieldsAndSetsValuesRecursively() {
    StreamConfig current =
        new StreamConfig(
            StorageClass.STANDARD,
            RetentionPolicy.age(10),
            new Timestamping(TimestampingMode.CLIENT_REQUIRE, true),
            new DeleteOnEmpty(5L));
    StreamReconfiguration patch =
        new StreamReconfiguration(
            Patch.keep(),
            Patch.reset(),
            Patch.set(
                new StreamReconfiguration.TimestampingReconfiguration(
                    Patch.set(TimestampingMode.ARRIVAL), Patch.keep())),
            Patch.keep());

    StreamConfig patched = patch.applyTo(current);

    assertThat(patched.storageClass()).isEqualTo(StorageClass.STANDARD);
    assertThat(patched.retentionPolicy()).isNull();
    assertThat(patched.timestamping()).isEqualTo(new Timestamping(TimestampingMode.ARRIVAL, true));
    assertThat(patched.deleteOnEmpty()).isEqualTo(new DeleteOnEmpty(5L));
    assertThat(patched.resolve(null).retentionPolicy()).isEqualTo(RetentionPolicy.age(604800));
  }

  @Test
  void aBasinPatchCanResetTheDefaultStreamConfigAndFlipFlags() {
    BasinConfig current =
        new BasinConfig(
            new StreamConfig(StorageClass.STANDARD, null, null, null), null, true, false);
    BasinReconfiguration patch =
        new BasinReconfiguration(Patch.reset(), Patch.keep(), Patch.keep(), Patch.set(true));

    BasinConfig patched = patch.applyTo(current);

    assertThat(patched).isEqualTo(new BasinConfig(null, null, true, true));
  }
}
