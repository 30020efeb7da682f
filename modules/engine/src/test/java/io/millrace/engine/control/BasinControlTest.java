package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BasinControlTest {
  private final ConflictingMetadataStore store =
      new ConflictingMetadataStore(SqliteMetadataStore.inMemory());
  private final ControlPlane control = new ControlPlane(store.store(), Clock.systemUTC());

  @AfterEach
  void close() {
    control.close();
    store.close();
  }

  private static final BasinConfig ON_APPEND = new BasinConfig(null, null, true, false);

  private static StreamConfig retention(long secs) {
    return new StreamConfig(null, RetentionPolicy.age(secs), null, null);
  }

  private void create(String... names) {
    for (String n : names) {
      result(control.createBasin(n, null, null));
    }
  }

  private static List<String> names(ListPage<BasinInfo> page) {
    return page.items().stream().map(BasinInfo::name).toList();
  }

  @Test
  void listingReturnsBasinsInNameOrderAndSaysWhenMoreFollow() {
    create("basin-ccc", "basin-aaa", "basin-bbb", "other-basin");

    ListPage<BasinInfo> first = result(control.listBasins(new ListRequest("basin-", "", 2)));
    ListPage<BasinInfo> rest =
        result(control.listBasins(new ListRequest("basin-", "basin-bbb", 2)));

    assertThat(names(first)).containsExactly("basin-aaa", "basin-bbb");
    assertThat(first.hasMore()).isTrue();
    assertThat(names(rest)).containsExactly("basin-ccc");
    assertThat(rest.hasMore()).isFalse();
  }

  @Test
  void startAfterBelowThePrefixLetsThePrefixWin() {
    create("aaaa-basin", "bbbb-basin-1", "bbbb-basin-2", "cccc-basin");

    ListPage<BasinInfo> page = result(control.listBasins(new ListRequest("bbbb", "aaaa", 10)));

    assertThat(names(page)).containsExactly("bbbb-basin-1", "bbbb-basin-2");
    assertThat(page.hasMore()).isFalse();
  }

  @Test
  void aLimitOfZeroOrAboveOneThousandIsTreatedAsOneThousand() {
    List<CompletableFuture<?>> creates = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      creates.add(
          control.createBasin(String.format("basin-%05d", i), null, null).toCompletableFuture());
    }
    CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();

    for (int limit : new int[] {0, 5000}) {
      ListPage<BasinInfo> page = result(control.listBasins(new ListRequest("", "", limit)));
      assertThat(page.items()).hasSize(1000);
      assertThat(page.hasMore()).isTrue();
      assertThat(page.items().get(999).name()).isEqualTo("basin-00999");
    }
  }

  @Test
  void aBasinPendingDeletionIsListedWithItsDeletionTime() {
    create("doomed-basin", "living-basin");

    result(control.deleteBasin("doomed-basin"));
    ListPage<BasinInfo> page = result(control.listBasins(new ListRequest("", "", 10)));

    assertThat(page.items())
        .extracting(BasinInfo::name)
        .containsExactly("doomed-basin", "living-basin");
    assertThat(page.items().get(0).deletedAt()).isNotNull();
    assertThat(page.items().get(1).deletedAt()).isNull();
  }

  @Test
  void createReplayWithTheSameTokenAndConfigReturnsTheExistingBasinAsNoop() {
    Provisioned<BasinInfo> first = result(control.createBasin("my-basin-1", ON_APPEND, "tok-1"));
    Provisioned<BasinInfo> replay = result(control.createBasin("my-basin-1", ON_APPEND, "tok-1"));

    assertThat(first.result()).isEqualTo(ProvisionResult.CREATED);
    assertThat(replay.result()).isEqualTo(ProvisionResult.NOOP);
    assertThat(replay.info().createdAt()).isEqualTo(first.info().createdAt());
    assertThat(replay.info().name()).isEqualTo("my-basin-1");
  }

  @Test
  void createOfAnExistingBasinWithAnotherTokenOrConfigOrNoTokenIsAConflict() {
    result(control.createBasin("my-basin-1", ON_APPEND, "tok-1"));

    assertThat(code(control.createBasin("my-basin-1", ON_APPEND, "tok-2")))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
    assertThat(code(control.createBasin("my-basin-1", BasinConfig.DEFAULT, "tok-1")))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
    assertThat(code(control.createBasin("my-basin-1", ON_APPEND, null)))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
  }

  @Test
  void createOfABasinPendingDeletionSaysSoEvenWithTheOriginalToken() {
    result(control.createBasin("my-basin-1", null, "tok-1"));
    result(control.deleteBasin("my-basin-1"));

    assertThat(code(control.createBasin("my-basin-1", null, "tok-1")))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void createWithRetentionAgeZeroIsInvalid() {
    BasinConfig bad = new BasinConfig(retention(0), null, false, false);

    assertThat(code(control.createBasin("my-basin-1", bad, null))).isEqualTo(ErrorCode.INVALID);
    assertThat(code(control.getBasinConfig("my-basin-1"))).isEqualTo(ErrorCode.BASIN_NOT_FOUND);
  }

  @Test
  void basinConfigIsReturnedAsStoredWithNoDefaultStreamConfigWhenUnset() {
    BasinConfig partial =
        new BasinConfig(
            new StreamConfig(StorageClass.STANDARD, null, null, null), null, false, true);
    result(control.createBasin("plain-basin", null, null));
    result(control.createBasin("tuned-basin", partial, null));

    assertThat(result(control.getBasinConfig("plain-basin"))).isEqualTo(BasinConfig.DEFAULT);
    assertThat(result(control.getBasinConfig("plain-basin")).defaultStreamConfig()).isNull();
    assertThat(result(control.getBasinConfig("tuned-basin"))).isEqualTo(partial);
  }

  @Test
  void anEmptyDefaultStreamConfigReadsBackAsUnset() {
    result(
        control.createBasin(
            "empty-dsc-basin", new BasinConfig(StreamConfig.EMPTY, null, false, false), "t"));

    assertThat(result(control.getBasinConfig("empty-dsc-basin")).defaultStreamConfig()).isNull();
    assertThat(
            result(
                    control.createBasin(
                        "empty-dsc-basin",
                        new BasinConfig(StreamConfig.EMPTY, null, false, false),
                        "t"))
                .result())
        .isEqualTo(ProvisionResult.NOOP);
  }

  @Test
  void gettingAnUnknownBasinIsNotFound() {
    assertThat(code(control.getBasinConfig("no-such-basin"))).isEqualTo(ErrorCode.BASIN_NOT_FOUND);
  }

  @Test
  void ensureCreatesThenDoesNothingThenReplacesTheWholeConfig() {
    BasinConfig first = new BasinConfig(retention(60), null, true, true);
    BasinConfig second = new BasinConfig(null, null, false, true);

    Provisioned<BasinInfo> created = result(control.ensureBasin("ensured-basin", first));
    Provisioned<BasinInfo> same = result(control.ensureBasin("ensured-basin", first));
    Provisioned<BasinInfo> changed = result(control.ensureBasin("ensured-basin", second));

    assertThat(created.result()).isEqualTo(ProvisionResult.CREATED);
    assertThat(same.result()).isEqualTo(ProvisionResult.NOOP);
    assertThat(changed.result()).isEqualTo(ProvisionResult.UPDATED);
    assertThat(changed.info().createdAt()).isEqualTo(created.info().createdAt());
    assertThat(result(control.getBasinConfig("ensured-basin"))).isEqualTo(second);
  }

  @Test
  void ensureWithoutConfigResetsToDefaults() {
    result(control.ensureBasin("ensured-basin", ON_APPEND));

    assertThat(result(control.ensureBasin("ensured-basin", null)).result())
        .isEqualTo(ProvisionResult.UPDATED);
    assertThat(result(control.getBasinConfig("ensured-basin"))).isEqualTo(BasinConfig.DEFAULT);
  }

  @Test
  void ensureOfABasinPendingDeletionIsAConflict() {
    create("doomed-basin");
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.ensureBasin("doomed-basin", null)))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void reconfigureChangesOnlyTheGivenFieldsAndResetsNulls() {
    result(
        control.createBasin(
            "patched-basin",
            new BasinConfig(
                new StreamConfig(StorageClass.STANDARD, RetentionPolicy.age(60), null, null),
                null,
                true,
                false),
            null));
    BasinReconfiguration patch =
        new BasinReconfiguration(
            Patch.set(
                new StreamReconfiguration(Patch.reset(), Patch.keep(), Patch.keep(), Patch.keep())),
            Patch.keep(),
            Patch.keep(),
            Patch.set(true));

    BasinConfig after = result(control.reconfigureBasin("patched-basin", patch));

    BasinConfig expected =
        new BasinConfig(
            new StreamConfig(null, RetentionPolicy.age(60), null, null), null, true, true);
    assertThat(after).isEqualTo(expected);
    assertThat(result(control.getBasinConfig("patched-basin"))).isEqualTo(expected);
  }

  @Test
  void reconfigureRejectsRetentionAgeZeroAndKeepsTheOldConfig() {
    result(control.createBasin("patched-basin", ON_APPEND, null));
    BasinReconfiguration patch =
        new BasinReconfiguration(
            Patch.set(
                new StreamReconfiguration(
                    Patch.keep(), Patch.set(RetentionPolicy.age(0)), Patch.keep(), Patch.keep())),
            Patch.keep(),
            Patch.keep(),
            Patch.keep());

    assertThat(code(control.reconfigureBasin("patched-basin", patch))).isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.getBasinConfig("patched-basin"))).isEqualTo(ON_APPEND);
  }

  @Test
  void reconfigureOfAnUnknownOrDeletingBasinFails() {
    BasinReconfiguration patch =
        new BasinReconfiguration(Patch.keep(), Patch.keep(), Patch.set(true), Patch.keep());
    create("doomed-basin");
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.reconfigureBasin("no-such-basin", patch)))
        .isEqualTo(ErrorCode.BASIN_NOT_FOUND);
    assertThat(code(control.reconfigureBasin("doomed-basin", patch)))
        .isEqualTo(ErrorCode.BASIN_DELETION_PENDING);
  }

  @Test
  void deletingTwiceWhilePendingIsFineAndDeletingAnUnknownBasinIsNotFound() {
    create("doomed-basin");

    result(control.deleteBasin("doomed-basin"));
    result(control.deleteBasin("doomed-basin"));

    assertThat(code(control.deleteBasin("no-such-basin"))).isEqualTo(ErrorCode.BASIN_NOT_FOUND);
  }

  @Test
  void anUpdateThatLosesAFewRacesIsRetriedAndSucceeds() {
    create("raced-basin");
    store.loseNextUpdates(3);

    BasinConfig after =
        result(
            control.reconfigureBasin(
                "raced-basin",
                new BasinReconfiguration(
                    Patch.keep(), Patch.keep(), Patch.set(true), Patch.keep())));

    assertThat(after.createStreamOnAppend()).isTrue();
    assertThat(store.lostUpdates()).isEqualTo(3);
  }

  @Test
  void anUpdateThatKeepsLosingRacesEndsInATransactionConflict() {
    create("raced-basin");
    store.loseNextUpdates(1000);

    assertThat(code(control.ensureBasin("raced-basin", ON_APPEND)))
        .isEqualTo(ErrorCode.TRANSACTION_CONFLICT);
    assertThat(store.lostUpdates()).isEqualTo(ControlPlane.MAX_ATTEMPTS);
    store.loseNextUpdates(0);
    assertThat(result(control.getBasinConfig("raced-basin"))).isEqualTo(BasinConfig.DEFAULT);
  }
}
