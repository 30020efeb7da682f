package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.failure;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamCipher;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamControlTest {
  private static final String BASIN = "test-basin";

  /** Basin defaults: standard storage, one hour retention; the rest from the system. */
  private static final StreamConfig BASIN_DEFAULTS =
      new StreamConfig(StorageClass.STANDARD, RetentionPolicy.age(3600), null, null);

  private final MetadataStore store = SqliteMetadataStore.inMemory();
  private final ControlPlane control = new ControlPlane(store, Clock.systemUTC());

  @BeforeEach
  void basin() {
    result(control.createBasin(BASIN, new BasinConfig(BASIN_DEFAULTS, null, false, false), null));
  }

  @AfterEach
  void close() {
    control.close();
    store.close();
  }

  private static StreamConfig arrival() {
    return new StreamConfig(null, null, new Timestamping(TimestampingMode.ARRIVAL, null), null);
  }

  @Test
  void aNewStreamsConfigIsFullyResolvedAgainstTheBasinDefaults() {
    Provisioned<StreamInfo> created = result(control.createStream(BASIN, "orders", arrival(), "t"));

    assertThat(created.result()).isEqualTo(ProvisionResult.CREATED);
    assertThat(created.info().name()).isEqualTo("orders");
    assertThat(created.info().deletedAt()).isNull();
    assertThat(result(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(
            new StreamConfig(
                StorageClass.STANDARD,
                RetentionPolicy.age(3600),
                new Timestamping(TimestampingMode.ARRIVAL, false),
                new DeleteOnEmpty(0L)));
  }

  @Test
  void aStreamInABasinWithoutDefaultsGetsTheSystemDefaults() {
    result(control.createBasin("bare-basin", null, null));
    result(control.createStream("bare-basin", "events", null, null));

    assertThat(result(control.getStreamConfig("bare-basin", "events")))
        .isEqualTo(StreamConfig.SYSTEM_DEFAULT);
    assertThat(StreamConfig.SYSTEM_DEFAULT.storageClass()).isEqualTo(StorageClass.EXPRESS);
    assertThat(StreamConfig.SYSTEM_DEFAULT.retentionPolicy().ageSecs()).isEqualTo(604800L);
  }

  @Test
  void createReplayWithTheSameTokenAndConfigIsNoopAndAnythingElseConflicts() {
    Provisioned<StreamInfo> first = result(control.createStream(BASIN, "a/b/c", arrival(), "tok"));
    Provisioned<StreamInfo> replay = result(control.createStream(BASIN, "a/b/c", arrival(), "tok"));

    assertThat(replay.result()).isEqualTo(ProvisionResult.NOOP);
    assertThat(replay.info().createdAt()).isEqualTo(first.info().createdAt());
    assertThat(code(control.createStream(BASIN, "a/b/c", arrival(), "other")))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
    assertThat(code(control.createStream(BASIN, "a/b/c", null, "tok")))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
  }

  @Test
  void createInAMissingOrDeletingBasinFails() {
    result(control.createBasin("doomed-basin", null, null));
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.createStream("no-such-basin", "s", null, null)))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(code(control.createStream("doomed-basin", "s", null, null)))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void createOfAStreamPendingDeletionSaysSo() {
    result(control.createStream(BASIN, "orders", null, "tok"));
    result(control.deleteStream(BASIN, "orders"));

    assertThat(code(control.createStream(BASIN, "orders", null, "tok")))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
    assertThat(code(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
    assertThat(code(control.ensureStream(BASIN, "orders", null)))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
  }

  @Test
  void createWithRetentionAgeZeroIsInvalid() {
    StreamConfig bad = new StreamConfig(null, RetentionPolicy.age(0), null, null);

    assertThat(code(control.createStream(BASIN, "orders", bad, null))).isEqualTo(ErrorCode.INVALID);
    assertThat(code(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
  }

  @Test
  void gettingAStreamTellsAMissingBasinFromAMissingStream() {
    assertThat(code(control.getStreamConfig("no-such-basin", "orders")))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(code(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
  }

  @Test
  void listingShowsStreamsInNameOrderIncludingOnesPendingDeletion() {
    for (String s : new String[] {"b", "a", "c/1", "c/2", "d"}) {
      result(control.createStream(BASIN, s, null, null));
    }
    result(control.deleteStream(BASIN, "c/1"));

    ListPage<StreamInfo> page = result(control.listStreams(BASIN, new ListRequest("c/", "", 0)));
    ListPage<StreamInfo> firstTwo = result(control.listStreams(BASIN, new ListRequest("", "", 2)));
    ListPage<StreamInfo> afterB = result(control.listStreams(BASIN, new ListRequest("", "b", 2)));

    assertThat(page.items()).extracting(StreamInfo::name).containsExactly("c/1", "c/2");
    assertThat(page.items().get(0).deletedAt()).isNotNull();
    assertThat(page.items().get(1).deletedAt()).isNull();
    assertThat(page.hasMore()).isFalse();
    assertThat(firstTwo.items()).extracting(StreamInfo::name).containsExactly("a", "b");
    assertThat(firstTwo.hasMore()).isTrue();
    assertThat(afterB.items()).extracting(StreamInfo::name).containsExactly("c/1", "c/2");
    assertThat(afterB.hasMore()).isTrue();
  }

  @Test
  void listingStreamsOfAMissingBasinIsNotFound() {
    assertThat(code(control.listStreams("no-such-basin", new ListRequest("", "", 10))))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
  }

  @Test
  void ensureCreatesThenDoesNothingThenReplacesTheConfig() {
    Provisioned<StreamInfo> created = result(control.ensureStream(BASIN, "orders", arrival()));
    Provisioned<StreamInfo> same = result(control.ensureStream(BASIN, "orders", arrival()));
    Provisioned<StreamInfo> replaced = result(control.ensureStream(BASIN, "orders", null));

    assertThat(created.result()).isEqualTo(ProvisionResult.CREATED);
    assertThat(same.result()).isEqualTo(ProvisionResult.NOOP);
    assertThat(replaced.result()).isEqualTo(ProvisionResult.UPDATED);
    assertThat(result(control.getStreamConfig(BASIN, "orders")))
        .isEqualTo(StreamConfig.EMPTY.resolve(BASIN_DEFAULTS));
  }

  @Test
  void ensureInAMissingOrDeletingBasinFails() {
    result(control.createBasin("doomed-basin", null, null));
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.ensureStream("no-such-basin", "s", null)))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(code(control.ensureStream("doomed-basin", "s", null)))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void reconfigureSetsFieldsAndResetFieldsFallBackToTheBasinDefault() {
    result(
        control.createStream(
            BASIN,
            "orders",
            new StreamConfig(StorageClass.EXPRESS, RetentionPolicy.INFINITE, null, null),
            null));
    StreamReconfiguration patch =
        new StreamReconfiguration(
            Patch.reset(),
            Patch.keep(),
            Patch.set(
                new StreamReconfiguration.TimestampingReconfiguration(
                    Patch.keep(), Patch.set(true))),
            Patch.keep());

    StreamConfig after = result(control.reconfigureStream(BASIN, "orders", patch));

    StreamConfig expected =
        new StreamConfig(
            StorageClass.STANDARD,
            RetentionPolicy.INFINITE,
            new Timestamping(TimestampingMode.CLIENT_PREFER, true),
            new DeleteOnEmpty(0L));
    assertThat(after).isEqualTo(expected);
    assertThat(result(control.getStreamConfig(BASIN, "orders"))).isEqualTo(expected);
  }

  @Test
  void reconfigureRejectsRetentionAgeZeroAndKeepsTheOldConfig() {
    result(control.createStream(BASIN, "orders", null, null));
    StreamConfig before = result(control.getStreamConfig(BASIN, "orders"));
    StreamReconfiguration patch =
        new StreamReconfiguration(
            Patch.keep(), Patch.set(RetentionPolicy.age(0)), Patch.keep(), Patch.keep());

    assertThat(code(control.reconfigureStream(BASIN, "orders", patch)))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.getStreamConfig(BASIN, "orders"))).isEqualTo(before);
  }

  @Test
  void reconfigureOfMissingOrDeletingStreamsFails() {
    result(control.createStream(BASIN, "doomed", null, null));
    result(control.deleteStream(BASIN, "doomed"));

    assertThat(code(control.reconfigureStream(BASIN, "nope", StreamReconfiguration.NONE)))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(code(control.reconfigureStream("no-such-basin", "x", StreamReconfiguration.NONE)))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(code(control.reconfigureStream(BASIN, "doomed", StreamReconfiguration.NONE)))
        .isEqualTo(ErrorCode.STREAM_DELETION_PENDING);
  }

  @Test
  void deletingTwiceWhilePendingIsFineAndUnknownStreamsAreNotFound() {
    result(control.createStream(BASIN, "doomed", null, null));

    result(control.deleteStream(BASIN, "doomed"));
    result(control.deleteStream(BASIN, "doomed"));

    assertThat(code(control.deleteStream(BASIN, "nope"))).isEqualTo(ErrorCode.STREAM_NOT_FOUND);
    assertThat(code(control.deleteStream("no-such-basin", "x")))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
  }

  @Test
  void aStreamTakesItsCipherFromTheBasinAtCreation() {
    result(
        control.createBasin(
            "secret-basin", new BasinConfig(null, "aes-256-gcm", false, false), null));

    Provisioned<StreamInfo> created = result(control.createStream("secret-basin", "s", null, null));

    assertThat(created.info().cipher()).isEqualTo("aes-256-gcm");
    assertThat(result(control.listStreams("secret-basin", new ListRequest("", "", 10))).items())
        .extracting(StreamInfo::cipher)
        .containsExactly("aes-256-gcm");
    assertThat(result(store.getStream("secret-basin", "s")).orElseThrow().cipher())
        .isEqualTo(StreamCipher.AES_256_GCM.storedName());
  }

  @Test
  void aegis256IsRefusedAndABasinStoredWithItCreatesNoStreams() {
    assertThat(
            failure(
                    control.createBasin(
                        "aegis-basin", new BasinConfig(null, "aegis-256", false, false), null))
                .getMessage())
        .contains("aegis-256");
    // A basin stored by an older build that accepted aegis-256.
    result(
        store.createBasin(
            new BasinRecord(
                "aegis-basin",
                new BasinConfig(null, "aegis-256", true, false),
                Instant.EPOCH,
                null,
                null,
                1,
                "local")));

    assertThat(code(control.createStream("aegis-basin", "s", null, null)))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(code(control.ensureStream("aegis-basin", "s", null))).isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.listStreams("aegis-basin", new ListRequest("", "", 10))).items())
        .isEmpty();
  }

  @Test
  void aStreamRowWrittenBeforeEncryptionWasAppliedIsReportedUnencrypted() {
    result(
        store.createStream(
            new StreamRecord(
                BASIN,
                "legacy",
                "legacy-id",
                StreamConfig.SYSTEM_DEFAULT,
                Instant.EPOCH,
                null,
                null,
                "aes-256-gcm",
                1)));

    assertThat(result(control.listStreams(BASIN, new ListRequest("legacy", "", 10))).items())
        .extracting(StreamInfo::cipher)
        .containsOnlyNulls()
        .hasSize(1);
  }
}
