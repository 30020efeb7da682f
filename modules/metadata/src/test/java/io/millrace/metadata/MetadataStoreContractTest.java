package io.millrace.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.ResourceSet;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MetadataStore} must show (SQLite, Cassandra). Subclasses supply a
 * store with {@link #newStore()}; it is closed after each test. Every test uses fresh random names
 * and ids, so a store shared between tests (a Cassandra keyspace) works too; instants have
 * millisecond precision, the finest every store keeps.
 */
public abstract class MetadataStoreContractTest {

  private static final long TIMEOUT_SECONDS = 60;

  /** A new store; it is closed after each test. */
  protected abstract MetadataStore newStore() throws Exception;

  protected MetadataStore store;

  /** A random name prefix for this test: lower-case letters and digits, then '-'. */
  protected String ns;

  private final Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    ns = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "-";
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- basins

  @Test
  void creatingABasinReturnsCreatedThenAlreadyExistsWithTheExistingRow() {
    BasinRecord first = basin(ns + "basin", BasinConfig.DEFAULT, "token-1");
    BasinRecord second =
        basin(ns + "basin", new BasinConfig(null, "aegis-256", true, true), "token-2");

    assertThat(await(store.createBasin(first))).isEqualTo(new CreateResult.Created<>(first));
    assertThat(await(store.createBasin(second))).isEqualTo(new CreateResult.AlreadyExists<>(first));
    assertThat(await(store.getBasin(ns + "basin"))).contains(first);
  }

  @Test
  void creatingABasinWhoseNameIsPendingDeletionReturnsTheDeletingRow() {
    BasinRecord deleting =
        new BasinRecord(ns + "basin", BasinConfig.DEFAULT, t0, t0.plusSeconds(5), null, 3, null);
    await(store.createBasin(deleting));

    CreateResult<BasinRecord> again =
        await(store.createBasin(basin(ns + "basin", BasinConfig.DEFAULT, null)));

    assertThat(again).isEqualTo(new CreateResult.AlreadyExists<>(deleting));
  }

  @Test
  void getOfAMissingBasinIsEmpty() {
    assertThat(await(store.getBasin(ns + "missing"))).isEmpty();
  }

  @Test
  void listBasinsPagesInNameOrderWithPrefixStartAfterAndLimit() {
    List<String> names =
        List.of(ns + "a-1", ns + "a-2", ns + "a-3", ns + "b-1", ns + "b-2", ns + "c");
    for (String n :
        List.of(
            names.get(4), names.get(0), names.get(5), names.get(2), names.get(1), names.get(3))) {
      await(store.createBasin(basin(n, BasinConfig.DEFAULT, null)));
    }

    assertThat(basinNames(store.listBasins(ns, null, 100))).containsExactlyElementsOf(names);
    assertThat(basinNames(store.listBasins(ns, "", 100))).containsExactlyElementsOf(names);
    assertThat(basinNames(store.listBasins(ns + "a-", null, 100)))
        .containsExactly(ns + "a-1", ns + "a-2", ns + "a-3");
    assertThat(basinNames(store.listBasins(ns, ns + "a-2", 100)))
        .containsExactly(ns + "a-3", ns + "b-1", ns + "b-2", ns + "c");
    assertThat(basinNames(store.listBasins(ns, ns + "a-25", 2)))
        .containsExactly(ns + "a-3", ns + "b-1");
    assertThat(basinNames(store.listBasins(ns + "b-", ns + "a-9", 100)))
        .containsExactly(ns + "b-1", ns + "b-2");
    assertThat(basinNames(store.listBasins(ns + "b-", ns + "b-2", 100))).isEmpty();
    assertThat(basinNames(store.listBasins(ns + "d", null, 100))).isEmpty();
    assertThat(basinNames(store.listBasins(ns + "c", null, 100))).containsExactly(ns + "c");

    List<String> paged = new ArrayList<>();
    String after = null;
    while (true) {
      List<String> page = basinNames(store.listBasins(ns, after, 4));
      assertThat(page.size()).isLessThanOrEqualTo(4);
      if (page.isEmpty()) {
        break;
      }
      paged.addAll(page);
      after = page.get(page.size() - 1);
    }
    assertThat(paged).containsExactlyElementsOf(names);
  }

  @Test
  void listBasinsIncludesBasinsPendingDeletion() {
    await(store.createBasin(basin(ns + "live", BasinConfig.DEFAULT, null)));
    await(
        store.createBasin(
            new BasinRecord(
                ns + "gone", BasinConfig.DEFAULT, t0, t0.plusSeconds(1), null, 2, null)));

    List<BasinRecord> listed = await(store.listBasins(ns, null, 10));

    assertThat(listed).extracting(BasinRecord::name).containsExactly(ns + "gone", ns + "live");
    assertThat(listed.get(0).deletedAt()).isEqualTo(t0.plusSeconds(1));
  }

  @Test
  void aBasinsLocationIsStoredAndKeptByUpdates() {
    BasinRecord v1 = new BasinRecord(ns + "basin", BasinConfig.DEFAULT, t0, null, null, 1, "local");
    await(store.createBasin(v1));
    BasinRecord v2 =
        new BasinRecord(
            ns + "basin", new BasinConfig(null, null, true, false), t0, null, null, 2, "local");

    assertThat(await(store.getBasin(ns + "basin"))).contains(v1);
    assertThat(await(store.updateBasin(v2, 1))).isTrue();
    assertThat(await(store.getBasin(ns + "basin")).orElseThrow().location()).isEqualTo("local");
    assertThat(await(store.listBasins(ns, "", 10))).containsExactly(v2);
  }

  // ---------------------------------------------------------------- account settings

  @Test
  void anAccountSettingIsEmptyUntilPutAndTheLastPutWins() {
    String key = ns + "default_location";

    assertThat(await(store.getAccountSetting(key))).isEmpty();
    await(store.putAccountSetting(key, "local"));
    assertThat(await(store.getAccountSetting(key))).contains("local");
    await(store.putAccountSetting(key, "aws:us-east-1"));
    assertThat(await(store.getAccountSetting(key))).contains("aws:us-east-1");
    assertThat(await(store.getAccountSetting(ns + "other"))).isEmpty();
  }

  @Test
  void updatingABasinWithTheCurrentVersionReplacesTheRow() {
    BasinRecord v1 = basin(ns + "basin", BasinConfig.DEFAULT, "tok");
    await(store.createBasin(v1));
    BasinRecord v2 =
        new BasinRecord(
            ns + "basin",
            new BasinConfig(
                new StreamConfig(StorageClass.STANDARD, null, null, null), null, true, false),
            t0,
            t0.plusSeconds(60),
            "tok",
            2,
            null);

    assertThat(await(store.updateBasin(v2, 1))).isTrue();

    assertThat(await(store.getBasin(ns + "basin"))).contains(v2);
  }

  @Test
  void updatingABasinWithAStaleVersionFailsAndLeavesTheRowUnchanged() {
    BasinRecord v1 = basin(ns + "basin", BasinConfig.DEFAULT, null);
    await(store.createBasin(v1));
    BasinRecord v2 = new BasinRecord(ns + "basin", BasinConfig.DEFAULT, t0, null, "x", 2, null);
    assertThat(await(store.updateBasin(v2, 1))).isTrue();

    BasinRecord stale =
        new BasinRecord(
            ns + "basin", new BasinConfig(null, null, true, true), t0, null, null, 2, null);
    assertThat(await(store.updateBasin(stale, 1))).isFalse();

    assertThat(await(store.getBasin(ns + "basin"))).contains(v2);
    assertThat(await(store.updateBasin(basin(ns + "nobody", BasinConfig.DEFAULT, null), 1)))
        .isFalse();
    assertThat(await(store.getBasin(ns + "nobody"))).isEmpty();
  }

  @Test
  void deletingABasinNeedsTheCurrentVersionAndFreesTheName() {
    await(store.createBasin(basin(ns + "basin", BasinConfig.DEFAULT, null)));

    assertThat(await(store.deleteBasin(ns + "basin", 7))).isFalse();
    assertThat(await(store.getBasin(ns + "basin"))).isPresent();
    assertThat(await(store.deleteBasin(ns + "basin", 1))).isTrue();
    assertThat(await(store.getBasin(ns + "basin"))).isEmpty();
    assertThat(await(store.deleteBasin(ns + "basin", 1))).isFalse();

    BasinRecord again = basin(ns + "basin", new BasinConfig(null, null, true, false), null);
    assertThat(await(store.createBasin(again))).isEqualTo(new CreateResult.Created<>(again));
  }

  @Test
  void concurrentCreatesOfOneBasinNameHaveExactlyOneCreated() throws Exception {
    List<CreateResult<BasinRecord>> results =
        concurrently(
            16, i -> store.createBasin(basin(ns + "contended", BasinConfig.DEFAULT, "token-" + i)));

    List<BasinRecord> created = CreateResults.created(results);
    assertThat(created).hasSize(1);
    assertThat(CreateResults.existing(results))
        .hasSize(15)
        .allSatisfy(existing -> assertThat(existing).isEqualTo(created.get(0)));
    assertThat(await(store.getBasin(ns + "contended"))).contains(created.get(0));
  }

  // ---------------------------------------------------------------- streams

  @Test
  void creatingAStreamReturnsCreatedThenAlreadyExistsWithTheExistingRow() {
    StreamRecord first = stream(ns + "basin", "orders", "tok-1");
    StreamRecord second = stream(ns + "basin", "orders", "tok-2");

    assertThat(await(store.createStream(first))).isEqualTo(new CreateResult.Created<>(first));
    assertThat(await(store.createStream(second)))
        .isEqualTo(new CreateResult.AlreadyExists<>(first));
    assertThat(await(store.getStream(ns + "basin", "orders"))).contains(first);
    assertThat(await(store.getStream(ns + "other", "orders"))).isEmpty();
  }

  @Test
  void creatingAStreamWhoseNameIsPendingDeletionReturnsTheDeletingRow() {
    StreamRecord deleting =
        new StreamRecord(
            ns + "basin",
            "s",
            UUID.randomUUID().toString(),
            StreamConfig.SYSTEM_DEFAULT,
            t0,
            t0.plusSeconds(1),
            null,
            null,
            4);
    await(store.createStream(deleting));

    assertThat(await(store.createStream(stream(ns + "basin", "s", null))))
        .isEqualTo(new CreateResult.AlreadyExists<>(deleting));
  }

  @Test
  void listStreamsCoversOnlyItsBasinInNameOrderWithPrefixStartAfterAndLimit() {
    String b = ns + "basin";
    List<String> names = List.of("a", "a/1", "a/2", "ab", "b", "b-c", "z");
    for (String n : List.of("z", "b", "a/2", "ab", "a", "b-c", "a/1")) {
      await(store.createStream(stream(b, n, null)));
    }
    await(store.createStream(stream(ns + "basin2", "a", null)));
    await(store.createStream(stream(ns + "basi", "a", null)));

    assertThat(streamNames(store.listStreams(b, "", null, 100))).containsExactlyElementsOf(names);
    assertThat(streamNames(store.listStreams(b, "a", null, 100)))
        .containsExactly("a", "a/1", "a/2", "ab");
    assertThat(streamNames(store.listStreams(b, "a/", null, 100))).containsExactly("a/1", "a/2");
    assertThat(streamNames(store.listStreams(b, "", "a/2", 3))).containsExactly("ab", "b", "b-c");
    assertThat(streamNames(store.listStreams(b, "b", "a", 100))).containsExactly("b", "b-c");
    assertThat(streamNames(store.listStreams(b, "", "z", 100))).isEmpty();
    assertThat(streamNames(store.listStreams(b, "q", null, 100))).isEmpty();
    assertThat(streamNames(store.listStreams(ns + "nobasin", "", null, 100))).isEmpty();
    assertThat(streamNames(store.listStreams(b, null, null, 2))).containsExactly("a", "a/1");
  }

  @Test
  void updatingAStreamIsConditionalOnItsVersion() {
    StreamRecord v1 = stream(ns + "basin", "s", "tok");
    await(store.createStream(v1));
    StreamRecord v2 =
        new StreamRecord(
            v1.basin(),
            v1.name(),
            v1.streamId(),
            new StreamConfig(
                StorageClass.STANDARD,
                RetentionPolicy.INFINITE,
                new Timestamping(TimestampingMode.ARRIVAL, true),
                new DeleteOnEmpty(3600L)),
            v1.createdAt(),
            t0.plusSeconds(9),
            "tok",
            "aegis-256",
            2);
    StreamRecord stale =
        new StreamRecord(
            v1.basin(),
            v1.name(),
            "other-id",
            StreamConfig.SYSTEM_DEFAULT,
            t0,
            null,
            null,
            null,
            2);

    assertThat(await(store.updateStream(v2, 1))).isTrue();
    assertThat(await(store.updateStream(stale, 1))).isFalse();

    assertThat(await(store.getStream(ns + "basin", "s"))).contains(v2);
    assertThat(await(store.updateStream(stream(ns + "basin", "missing", null), 1))).isFalse();
  }

  @Test
  void deletingAStreamNeedsTheCurrentVersionAndARecreatedStreamGetsItsNewId() {
    StreamRecord old = stream(ns + "basin", "s", null);
    await(store.createStream(old));

    assertThat(await(store.deleteStream(ns + "basin", "s", 2))).isFalse();
    assertThat(await(store.getStream(ns + "basin", "s"))).contains(old);
    assertThat(await(store.deleteStream(ns + "basin", "s", 1))).isTrue();
    assertThat(await(store.getStream(ns + "basin", "s"))).isEmpty();

    StreamRecord fresh = stream(ns + "basin", "s", null);
    assertThat(await(store.createStream(fresh))).isEqualTo(new CreateResult.Created<>(fresh));
    assertThat(await(store.getStream(ns + "basin", "s")).orElseThrow().streamId())
        .isEqualTo(fresh.streamId())
        .isNotEqualTo(old.streamId());
  }

  @Test
  void concurrentCreatesOfOneStreamNameHaveExactlyOneCreated() throws Exception {
    List<CreateResult<StreamRecord>> results =
        concurrently(12, i -> store.createStream(stream(ns + "basin", "contended", "tok-" + i)));

    List<StreamRecord> created = CreateResults.created(results);
    assertThat(created).hasSize(1);
    StreamRecord winner = created.get(0);
    assertThat(CreateResults.existing(results)).containsOnly(winner);
    assertThat(await(store.getStream(ns + "basin", "contended"))).contains(winner);
  }

  // ---------------------------------------------------------------- configs

  @Test
  void basinConfigsRoundTripIncludingNullsAndNestedPartialConfigs() {
    List<BasinConfig> configs =
        List.of(
            BasinConfig.DEFAULT,
            new BasinConfig(StreamConfig.EMPTY, null, false, false),
            new BasinConfig(
                new StreamConfig(
                    null,
                    RetentionPolicy.INFINITE,
                    new Timestamping(null, true),
                    new DeleteOnEmpty(null)),
                "aes-256-gcm",
                true,
                false),
            new BasinConfig(
                new StreamConfig(
                    StorageClass.STANDARD,
                    RetentionPolicy.age(86400),
                    new Timestamping(TimestampingMode.CLIENT_REQUIRE, null),
                    null),
                null,
                false,
                true),
            new BasinConfig(StreamConfig.SYSTEM_DEFAULT, "aegis-256", true, true));
    for (int i = 0; i < configs.size(); i++) {
      BasinRecord b = basin(ns + "cfg-" + i, configs.get(i), null);
      await(store.createBasin(b));
      assertThat(await(store.getBasin(b.name())).orElseThrow().config()).isEqualTo(configs.get(i));
    }
    assertThat(await(store.listBasins(ns + "cfg-", null, 10)))
        .extracting(BasinRecord::config)
        .containsExactlyElementsOf(configs);
  }

  @Test
  void streamConfigsRoundTripIncludingNulls() {
    List<StreamConfig> configs =
        List.of(
            StreamConfig.SYSTEM_DEFAULT,
            StreamConfig.EMPTY,
            new StreamConfig(
                StorageClass.EXPRESS,
                RetentionPolicy.INFINITE,
                new Timestamping(null, null),
                new DeleteOnEmpty(0L)),
            new StreamConfig(
                null,
                RetentionPolicy.age(1),
                new Timestamping(TimestampingMode.ARRIVAL, false),
                null));
    for (int i = 0; i < configs.size(); i++) {
      StreamRecord s =
          new StreamRecord(
              ns + "basin",
              "s" + i,
              UUID.randomUUID().toString(),
              configs.get(i),
              t0,
              null,
              null,
              null,
              1);
      await(store.createStream(s));
      assertThat(await(store.getStream(ns + "basin", "s" + i))).contains(s);
    }
  }

  // ---------------------------------------------------------------- stream state

  @Test
  void streamStateIsEmptyUntilPutAndAPutOverwritesIt() {
    String id = UUID.randomUUID().toString();
    assertThat(await(store.getStreamState(id))).isEmpty();

    StreamStateRecord first = new StreamStateRecord(id, 10, 9, 1_700_000_000_000L, null, 0, 1);
    assertThat(await(store.putStreamState(first))).isTrue();
    assertThat(await(store.getStreamState(id))).contains(first);

    StreamStateRecord second =
        new StreamStateRecord(
            id,
            5_000_000_000L,
            4_999_999_999L,
            1_800_000_000_000L,
            "fence-\u00e9",
            3_000_000_000L,
            2);
    assertThat(await(store.putStreamState(second))).isTrue();
    assertThat(await(store.getStreamState(id))).contains(second);

    await(store.deleteStreamState(id));
    assertThat(await(store.getStreamState(id))).isEmpty();
    await(store.deleteStreamState(id));
  }

  // ---------------------------------------------------------------- streamlets

  @Test
  void aStreamletIsCreatedOnlyOncePerEpoch() {
    String id = UUID.randomUUID().toString();
    StreamletRecord mine = new StreamletRecord(id, 1, ns + "ch-a", 7, null, null);
    StreamletRecord rival = new StreamletRecord(id, 1, ns + "ch-b", 9, null, null);

    assertThat(await(store.createStreamlet(mine))).isTrue();
    assertThat(await(store.createStreamlet(rival))).isFalse();

    assertThat(await(store.listStreamlets(id))).containsExactly(mine);
  }

  @Test
  void concurrentActivationsOfOneEpochHaveExactlyOneWinner() throws Exception {
    String id = UUID.randomUUID().toString();
    List<Boolean> results =
        concurrently(
            12,
            i -> store.createStreamlet(new StreamletRecord(id, 5, ns + "ch-" + i, i, null, null)));

    assertThat(results).filteredOn(b -> b).hasSize(1);
    assertThat(await(store.listStreamlets(id))).hasSize(1);
  }

  @Test
  void streamletsAreListedByEpochAndCanBeSealedAndDeletedBelowAnEpoch() {
    String id = UUID.randomUUID().toString();
    String other = UUID.randomUUID().toString();
    for (long epoch : new long[] {1, 2, 3, 4_000_000_000L}) {
      assertThat(
              await(
                  store.createStreamlet(
                      new StreamletRecord(id, epoch, ns + "ch-" + epoch, epoch * 10, null, null))))
          .isTrue();
    }
    await(store.createStreamlet(new StreamletRecord(other, 1, ns + "ch-x", 0, null, null)));

    assertThat(await(store.listStreamlets(id)))
        .extracting(StreamletRecord::epoch)
        .containsExactly(1L, 2L, 3L, 4_000_000_000L);

    assertThat(await(store.sealStreamlet(id, 4_000_000_000L, 5_000_000_000L, 3_000_000_000L)))
        .isTrue();
    assertThat(await(store.listStreamlets(id)).get(3))
        .isEqualTo(
            new StreamletRecord(
                id,
                4_000_000_000L,
                ns + "ch-4000000000",
                40_000_000_000L,
                5_000_000_000L,
                3_000_000_000L));

    await(store.deleteStreamlets(id, 3));
    assertThat(await(store.listStreamlets(id)))
        .extracting(StreamletRecord::epoch)
        .containsExactly(3L, 4_000_000_000L);
    assertThat(await(store.listStreamlets(other))).hasSize(1);
    assertThat(await(store.listStreamlets(UUID.randomUUID().toString()))).isEmpty();
  }

  // ---------------------------------------------------------------- fenced owner writes

  @Test
  void streamStateIsNeverRegressedToALowerEpochOrALowerFlushedPosition() {
    String id = UUID.randomUUID().toString();
    StreamStateRecord e2at50 = new StreamStateRecord(id, 50, 50, 5, "f2", 0, 2);
    assertThat(await(store.putStreamState(e2at50))).isTrue();

    StreamStateRecord olderEpoch = new StreamStateRecord(id, 90, 90, 9, "f1", 0, 1);
    assertThat(await(store.putStreamState(olderEpoch))).isFalse();
    StreamStateRecord sameEpochBehind = new StreamStateRecord(id, 40, 45, 4, "f2", 0, 2);
    assertThat(await(store.putStreamState(sameEpochBehind))).isFalse();
    assertThat(await(store.getStreamState(id))).contains(e2at50);

    assertThat(await(store.putStreamState(e2at50))).as("a retried write").isTrue();
    StreamStateRecord sameEpochAhead = new StreamStateRecord(id, 60, 61, 6, "f2", 3, 2);
    assertThat(await(store.putStreamState(sameEpochAhead))).isTrue();
    StreamStateRecord newerEpochBehind = new StreamStateRecord(id, 55, 61, 6, "f3", 3, 3);
    assertThat(await(store.putStreamState(newerEpochBehind))).isTrue();
    assertThat(await(store.getStreamState(id))).contains(newerEpochBehind);
  }

  @Test
  void anEraseTombstoneIsReplacedByNothingButItself() {
    String id = UUID.randomUUID().toString();
    StreamStateRecord tombstone = new StreamStateRecord(id, -1, -1, 0, "", 0, Long.MAX_VALUE);
    assertThat(await(store.putStreamState(new StreamStateRecord(id, 7, 7, 1, null, 0, 4))))
        .isTrue();
    assertThat(await(store.putStreamState(tombstone))).isTrue();

    assertThat(await(store.putStreamState(new StreamStateRecord(id, 9, 9, 1, null, 0, 5))))
        .isFalse();
    assertThat(await(store.putStreamState(tombstone))).isTrue();
    assertThat(await(store.getStreamState(id))).contains(tombstone);
  }

  @Test
  void aStreamletBelowTheHighestEpochEverCreatedIsRefusedEvenAfterItsRowsWereDeleted() {
    String id = UUID.randomUUID().toString();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 3, ns + "a", 0, null, null))))
        .isTrue();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 2, ns + "z", 0, null, null))))
        .as("a zombie rotating to a lower epoch")
        .isFalse();

    assertThat(await(store.createStreamlet(new StreamletRecord(id, 5, ns + "b", 4, null, null))))
        .isTrue();
    await(store.deleteStreamlets(id, Long.MAX_VALUE));
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 4, ns + "z", 0, null, null))))
        .isFalse();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 5, ns + "z", 0, null, null))))
        .isFalse();
    assertThat(await(store.listStreamlets(id))).isEmpty();

    StreamletRecord next = new StreamletRecord(id, 6, ns + "c", 9, null, null);
    assertThat(await(store.createStreamlet(next))).isTrue();
    assertThat(await(store.listStreamlets(id))).containsExactly(next);
  }

  @Test
  void aStreamletIsSealedOnlyWhileUnsealedAndNoHigherEpochExistsAndARetryIsHarmless() {
    String id = UUID.randomUUID().toString();
    StreamletRecord one = new StreamletRecord(id, 1, ns + "a", 0, null, null);
    assertThat(await(store.createStreamlet(one))).isTrue();

    assertThat(await(store.sealStreamlet(id, 1, 10, 3))).isTrue();
    assertThat(await(store.sealStreamlet(id, 1, 10, 3))).as("a retry").isTrue();
    assertThat(await(store.sealStreamlet(id, 1, 12, 4))).as("other values").isFalse();
    StreamletRecord sealedOne = new StreamletRecord(id, 1, ns + "a", 0, 10L, 3L);
    assertThat(await(store.listStreamlets(id))).containsExactly(sealedOne);

    StreamletRecord two = new StreamletRecord(id, 2, ns + "b", 5, null, null);
    StreamletRecord three = new StreamletRecord(id, 3, ns + "c", 9, null, null);
    assertThat(await(store.createStreamlet(two))).isTrue();
    assertThat(await(store.createStreamlet(three))).isTrue();
    assertThat(await(store.sealStreamlet(id, 2, 20, 8)))
        .as("a superseded owner sealing late")
        .isFalse();
    assertThat(await(store.sealStreamlet(id, 1, 10, 3)))
        .as("a retry after a higher epoch appeared")
        .isFalse();
    assertThat(await(store.listStreamlets(id))).containsExactly(sealedOne, two, three);
  }

  @Test
  void aClaimedEpochFencesEveryEarlierOwnerWithoutARow() {
    String id = UUID.randomUUID().toString();
    assertThat(await(store.latestStreamletEpoch(id))).isZero();
    StreamletRecord one = new StreamletRecord(id, 1, ns + "a", 0, null, null);
    assertThat(await(store.createStreamlet(one))).isTrue();
    assertThat(await(store.latestStreamletEpoch(id))).isEqualTo(1);

    assertThat(await(store.claimStreamletEpoch(id, 1, 2))).isTrue();
    assertThat(await(store.latestStreamletEpoch(id))).isEqualTo(2);
    assertThat(await(store.listStreamlets(id))).as("a claim writes no row").containsExactly(one);

    assertThat(await(store.sealStreamlet(id, 1, 10, 3)))
        .as("the owner of epoch 1 sealing after the claim")
        .isFalse();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 2, ns + "b", 4, null, null))))
        .as("the owner of epoch 1 opening its next epoch after the claim")
        .isFalse();
    StreamletRecord three = new StreamletRecord(id, 3, ns + "c", 9, null, null);
    assertThat(await(store.createStreamlet(three))).as("the claimer's first streamlet").isTrue();
    assertThat(await(store.listStreamlets(id))).containsExactly(one, three);
  }

  @Test
  void aClaimIsRefusedOnceTheEpochMovedPastWhatTheClaimerSaw() {
    String id = UUID.randomUUID().toString();
    assertThat(await(store.claimStreamletEpoch(id, 0, 1))).as("a stream never written").isTrue();
    assertThat(await(store.claimStreamletEpoch(id, 0, 2))).as("the same view again").isFalse();
    assertThat(await(store.latestStreamletEpoch(id))).isEqualTo(1);

    assertThat(await(store.createStreamlet(new StreamletRecord(id, 2, ns + "a", 0, null, null))))
        .isTrue();
    assertThat(await(store.claimStreamletEpoch(id, 1, 3)))
        .as("a streamlet created after the claimer read epoch 1")
        .isFalse();
    await(store.deleteStreamlets(id, Long.MAX_VALUE));
    assertThat(await(store.latestStreamletEpoch(id))).as("deletes keep the epoch").isEqualTo(2);
    assertThat(await(store.claimStreamletEpoch(id, 2, 7))).as("a claim may skip epochs").isTrue();
    assertThat(await(store.latestStreamletEpoch(id))).isEqualTo(7);
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 6, ns + "z", 0, null, null))))
        .isFalse();
    assertThat(await(store.listStreamlets(id))).isEmpty();
  }

  @Test
  void concurrentClaimsOfOneViewHaveExactlyOneWinner() throws Exception {
    String id = UUID.randomUUID().toString();
    await(store.createStreamlet(new StreamletRecord(id, 4, ns + "a", 0, null, null)));
    List<Boolean> results = concurrently(12, i -> store.claimStreamletEpoch(id, 4, 5));

    // At most one: a Cassandra claim whose outcome stayed uncertain answers false even if applied.
    assertThat(results).filteredOn(b -> b).hasSizeLessThanOrEqualTo(1);
    assertThat(await(store.latestStreamletEpoch(id))).isEqualTo(5);
  }

  @Test
  void aMissingStreamletIsNotSealedAndNoRowAppears() {
    String id = UUID.randomUUID().toString();
    assertThat(await(store.sealStreamlet(id, 1, 10, 3))).isFalse();
    assertThat(await(store.listStreamlets(id))).isEmpty();

    assertThat(await(store.createStreamlet(new StreamletRecord(id, 2, ns + "a", 0, null, null))))
        .isTrue();
    await(store.deleteStreamlets(id, Long.MAX_VALUE));
    assertThat(await(store.sealStreamlet(id, 2, 10, 3))).isFalse();
    assertThat(await(store.listStreamlets(id))).isEmpty();
  }

  @Test
  void aSegmentIsAddedOnceAndAnIdenticalRetrySucceedsButADifferentRowIsRefused() {
    String id = UUID.randomUUID().toString();
    SegmentRecord mine = segment(id, 100, 199);
    assertThat(await(store.addSegment(mine))).isTrue();
    assertThat(await(store.addSegment(mine))).isTrue();

    assertThat(await(store.addSegment(segment(id, 100, 149)))).isFalse();
    assertThat(await(store.listSegments(id))).containsExactly(mine);
  }

  @Test
  void aReplacedOwnersSegmentRowStaysAndTheNewOwnerIndexesTheRestAfterItAndOwnsTheState() {
    // What the engine's adoption of a replaced owner's segment (ADR 0004) relies on.
    String id = UUID.randomUUID().toString();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 1, ns + "a", 0, null, null))))
        .isTrue();
    assertThat(await(store.createStreamlet(new StreamletRecord(id, 2, ns + "b", 0, null, null))))
        .isTrue();
    SegmentRecord replaced = segment(id, 100, 149);
    assertThat(await(store.addSegment(replaced))).isTrue();

    assertThat(await(store.addSegment(segment(id, 100, 199)))).isFalse();
    assertThat(await(store.listSegments(id))).containsExactly(replaced);

    SegmentRecord rest = segment(id, 150, 199);
    assertThat(await(store.addSegment(rest))).isTrue();
    assertThat(await(store.putStreamState(new StreamStateRecord(id, 200, 200, 5, null, 0, 2))))
        .isTrue();
    assertThat(await(store.listSegments(id))).containsExactly(replaced, rest);
    // The replaced owner's state write after its flush is refused: it stops there.
    assertThat(await(store.putStreamState(new StreamStateRecord(id, 150, 150, 4, null, 0, 1))))
        .isFalse();
    assertThat(await(store.getStreamState(id)).orElseThrow().flushedNextSeqNum()).isEqualTo(200);
  }

  @Test
  void anOlderOwnerRacingANewerOneNeverOverwritesItsStreamState() throws Exception {
    for (int round = 0; round < 10; round++) {
      String id = UUID.randomUUID().toString();
      StreamStateRecord base = new StreamStateRecord(id, 10, 10, 1, null, 0, 1);
      assertThat(await(store.putStreamState(base))).isTrue();
      StreamStateRecord older = new StreamStateRecord(id, 100, 100, 2, "old", 0, 1);
      StreamStateRecord newer = new StreamStateRecord(id, 50, 50, 3, "new", 0, 2);

      List<Boolean> results = concurrently(2, i -> store.putStreamState(i == 0 ? older : newer));

      assertThat(results.get(1)).as("the newer epoch always applies").isTrue();
      assertThat(await(store.getStreamState(id))).contains(newer);
    }
  }

  @Test
  void racingActivationsAtDifferentEpochsCreateExactlyTheRowsTheyReportAndTheHighestWins()
      throws Exception {
    for (int round = 0; round < 5; round++) {
      String id = UUID.randomUUID().toString();
      List<Boolean> results =
          concurrently(
              6,
              i ->
                  store.createStreamlet(
                      new StreamletRecord(id, i + 1, ns + "ch-" + i, i, null, null)));

      assertThat(results.get(5)).as("the highest epoch").isTrue();
      List<Long> created = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i)) {
          created.add(i + 1L);
        }
      }
      assertThat(await(store.listStreamlets(id)))
          .extracting(StreamletRecord::epoch)
          .containsExactlyElementsOf(created);
    }
  }

  @Test
  void aLateSealOfASupersededEpochRacingTheNextActivationNeverLandsAfterIt() throws Exception {
    for (int round = 0; round < 10; round++) {
      String id = UUID.randomUUID().toString();
      assertThat(await(store.createStreamlet(new StreamletRecord(id, 1, ns + "a", 0, null, null))))
          .isTrue();

      List<Boolean> results =
          concurrently(
              2,
              i ->
                  i == 0
                      ? store.sealStreamlet(id, 1, 42, 7)
                      : store.createStreamlet(new StreamletRecord(id, 2, ns + "b", 8, null, null)));

      assertThat(results.get(1)).isTrue();
      StreamletRecord first = await(store.listStreamlets(id)).get(0);
      assertThat(first.sealedNextSeqNum() != null).isEqualTo(results.get(0));
      // Once epoch 2 exists, the seal of epoch 1 is refused for good.
      assertThat(await(store.sealStreamlet(id, 1, 42, 7))).isFalse();
    }
  }

  @Test
  void twoOwnersFlushingFromTheSameSeqNumRecordExactlyOneSegment() throws Exception {
    for (int round = 0; round < 10; round++) {
      String id = UUID.randomUUID().toString();
      SegmentRecord a = segment(id, 0, 99);
      SegmentRecord b = segment(id, 0, 149);

      List<Boolean> results = concurrently(2, i -> store.addSegment(i == 0 ? a : b));

      assertThat(results).containsExactlyInAnyOrder(true, false);
      assertThat(await(store.listSegments(id))).containsExactly(results.get(0) ? a : b);
    }
  }

  // ---------------------------------------------------------------- segments

  @Test
  void segmentsAreListedByFirstSeqNumIncludingSeqNumsBeyond32Bits() {
    String id = UUID.randomUUID().toString();
    long big = (1L << 31) + 5;
    List<SegmentRecord> ordered =
        List.of(
            segment(id, 0, 99),
            segment(id, 100, big - 1),
            segment(id, big, (1L << 32) + 10),
            segment(id, (1L << 32) + 11, (1L << 40)));
    for (int i : new int[] {2, 0, 3, 1}) {
      assertThat(await(store.addSegment(ordered.get(i)))).isTrue();
    }
    assertThat(await(store.addSegment(segment(UUID.randomUUID().toString(), 0, 1)))).isTrue();

    assertThat(await(store.listSegments(id))).containsExactlyElementsOf(ordered);

    await(store.deleteSegment(id, big));
    assertThat(await(store.listSegments(id)))
        .containsExactly(ordered.get(0), ordered.get(1), ordered.get(3));
    await(store.deleteSegment(id, big));
    assertThat(await(store.listSegments(UUID.randomUUID().toString()))).isEmpty();
  }

  // ---------------------------------------------------------------- channels

  @Test
  void channelsCanBePutReadListedSealedAndDeleted() {
    ChannelRecord b = new ChannelRecord(ns + "ch-b", "node-1", "express", t0, null);
    ChannelRecord a = new ChannelRecord(ns + "ch-a", "node-2", "standard", t0.plusSeconds(3), null);
    await(store.putChannel(b));
    await(store.putChannel(a));

    assertThat(await(store.getChannel(ns + "ch-a"))).contains(a);
    assertThat(await(store.getChannel(ns + "ch-missing"))).isEmpty();
    assertThat(await(store.listChannels()))
        .filteredOn(c -> c.channelId().startsWith(ns))
        .containsExactly(a, b);

    await(store.sealChannel(ns + "ch-b", 4_294_967_300L));
    await(store.sealChannel(ns + "ch-b", 4_294_967_300L));
    assertThat(await(store.getChannel(ns + "ch-b")))
        .contains(new ChannelRecord(ns + "ch-b", "node-1", "express", t0, 4_294_967_300L));

    await(store.deleteChannel(ns + "ch-a"));
    await(store.deleteChannel(ns + "ch-a"));
    assertThat(await(store.getChannel(ns + "ch-a"))).isEmpty();
    assertThat(await(store.listChannels()))
        .filteredOn(c -> c.channelId().startsWith(ns))
        .extracting(ChannelRecord::channelId)
        .containsExactly(ns + "ch-b");
  }

  @Test
  void theCollectedThroughWatermarkOnlyRisesAndSurvivesASeal() {
    ChannelRecord c = new ChannelRecord(ns + "ch-gc", "node-1", "express", t0, null);
    await(store.putChannel(c));
    assertThat(await(store.getChannel(ns + "ch-gc")))
        .get()
        .extracting(ChannelRecord::firstUncollected)
        .isEqualTo(0L);

    await(store.raiseCollectedThrough(ns + "ch-gc", 4_294_967_299L));
    await(store.raiseCollectedThrough(ns + "ch-gc", 7)); // a stale sweep never lowers it
    await(store.raiseCollectedThrough(ns + "ch-gc", 4_294_967_299L));
    await(store.sealChannel(ns + "ch-gc", 4_294_967_300L));

    assertThat(await(store.getChannel(ns + "ch-gc")))
        .contains(
            new ChannelRecord(
                ns + "ch-gc", "node-1", "express", t0, 4_294_967_300L, 4_294_967_299L));
    assertThat(await(store.getChannel(ns + "ch-gc")).orElseThrow().firstUncollected())
        .isEqualTo(4_294_967_300L);

    await(store.raiseCollectedThrough(ns + "ch-missing-gc", 3)); // never creates a row
    assertThat(await(store.getChannel(ns + "ch-missing-gc"))).isEmpty();
  }

  // ---------------------------------------------------------------- access tokens

  @Test
  void anAccessTokenIsCreatedOnceAndReadBackWithItsScopeExpiryAndHash() {
    AccessTokenRecord full =
        token(
            ns + "full",
            new AccessTokenInfo(
                ns + "full",
                t0.plusSeconds(3600),
                true,
                new AccessTokenScope(
                    ResourceSet.exact("my-basin"),
                    ResourceSet.prefix("logs/"),
                    ResourceSet.prefix(""),
                    new OpGroups(
                        new OpGroups.ReadWrite(true, false),
                        null,
                        new OpGroups.ReadWrite(true, true)),
                    EnumSet.of(Operation.CREATE_STREAM, Operation.TRIM))));
    AccessTokenRecord other =
        token(
            ns + "full",
            new AccessTokenInfo(
                ns + "full",
                null,
                false,
                new AccessTokenScope(null, null, null, null, EnumSet.of(Operation.READ))));

    assertThat(await(store.createAccessToken(full))).isEqualTo(new CreateResult.Created<>(full));
    assertThat(await(store.createAccessToken(other)))
        .isEqualTo(new CreateResult.AlreadyExists<>(full));
    assertThat(await(store.getAccessToken(ns + "full"))).contains(full);
    assertThat(await(store.getAccessToken(ns + "missing"))).isEmpty();
  }

  @Test
  void accessTokensWithoutExpiryOrScopeFieldsRoundTripWithTheSameNulls() {
    AccessTokenRecord bare =
        token(
            ns + "bare",
            new AccessTokenInfo(
                ns + "bare",
                null,
                false,
                new AccessTokenScope(
                    null, ResourceSet.exact(""), null, null, EnumSet.noneOf(Operation.class))));
    await(store.createAccessToken(bare));
    assertThat(await(store.getAccessToken(ns + "bare"))).contains(bare);
  }

  @Test
  void listAccessTokensPagesInIdOrderWithPrefixStartAfterAndLimit() {
    for (String id : List.of("b", "a", "ab", "c")) {
      await(store.createAccessToken(readToken(ns + id)));
    }
    assertThat(ids(await(store.listAccessTokens(ns, "", 10))))
        .containsExactly(ns + "a", ns + "ab", ns + "b", ns + "c");
    assertThat(ids(await(store.listAccessTokens(ns + "a", "", 10))))
        .containsExactly(ns + "a", ns + "ab");
    assertThat(ids(await(store.listAccessTokens(ns, ns + "ab", 10))))
        .containsExactly(ns + "b", ns + "c");
    assertThat(ids(await(store.listAccessTokens(ns, "", 2)))).containsExactly(ns + "a", ns + "ab");
  }

  @Test
  void deletingAnAccessTokenRemovesItOnceAndThenReportsNothingToRemove() {
    await(store.createAccessToken(readToken(ns + "gone")));
    assertThat(await(store.deleteAccessToken(ns + "gone"))).isTrue();
    assertThat(await(store.deleteAccessToken(ns + "gone"))).isFalse();
    assertThat(await(store.getAccessToken(ns + "gone"))).isEmpty();
    assertThat(await(store.createAccessToken(readToken(ns + "gone"))))
        .isInstanceOf(CreateResult.Created.class);
  }

  private AccessTokenRecord token(String id, AccessTokenInfo info) {
    return new AccessTokenRecord(id, "ab".repeat(32), info, t0);
  }

  private AccessTokenRecord readToken(String id) {
    return token(
        id,
        new AccessTokenInfo(
            id,
            null,
            false,
            new AccessTokenScope(null, null, null, null, EnumSet.of(Operation.READ))));
  }

  private static List<String> ids(List<AccessTokenRecord> rows) {
    return rows.stream().map(AccessTokenRecord::id).toList();
  }

  // ---------------------------------------------------------------- health

  @Test
  void anOpenStoreIsHealthy() {
    assertThat(await(store.healthy())).isTrue();
  }

  // ---------------------------------------------------------------- helpers

  protected BasinRecord basin(String name, BasinConfig config, String token) {
    return new BasinRecord(name, config, t0, null, token, 1, null);
  }

  protected StreamRecord stream(String basin, String name, String token) {
    return new StreamRecord(
        basin,
        name,
        UUID.randomUUID().toString(),
        StreamConfig.SYSTEM_DEFAULT,
        t0,
        null,
        token,
        null,
        1);
  }

  protected static SegmentRecord segment(String streamId, long first, long last) {
    return new SegmentRecord(
        streamId,
        first,
        last,
        1_700_000_000_000L + first,
        1_700_000_000_000L + last,
        "segments/" + streamId + "/" + String.format("%020d-%020d", first, last),
        (last - first + 1) * 100);
  }

  private static List<String> basinNames(CompletionStage<List<BasinRecord>> stage) {
    return await(stage).stream().map(BasinRecord::name).toList();
  }

  private static List<String> streamNames(CompletionStage<List<StreamRecord>> stage) {
    return await(stage).stream().map(StreamRecord::name).toList();
  }

  /** Runs {@code n} calls at once from {@code n} threads; their results in call order. */
  protected static <T> List<T> concurrently(
      int n, java.util.function.IntFunction<CompletionStage<T>> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return await(call.apply(k));
                }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  protected static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("metadata call failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("metadata call did not complete: " + e, e);
    }
  }
}
