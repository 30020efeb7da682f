package io.millrace.metadata.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.millrace.core.config.BasinConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.CreateResults;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.testsupport.ServiceProcess;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Cassandra-specific behaviour: several nodes' sessions, schema versions, failures. */
class CassandraMetadataStoreIT {

  private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  @Test
  void concurrentBasinCreatesThroughSeparateSessionsHaveExactlyOneCreated() throws Exception {
    String name = "lwt" + UUID.randomUUID().toString().substring(0, 8);
    List<CassandraMetadataStore> nodes = openNodes(3);
    try {
      List<CompletableFuture<CreateResult<BasinRecord>>> calls = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int n = 0; n < nodes.size(); n++) {
          BasinRecord mine =
              new BasinRecord(
                  name, BasinConfig.DEFAULT, T0, null, "node-" + n + "-" + round, 1, null);
          calls.add(nodes.get(n).createBasin(mine).toCompletableFuture());
        }
      }
      List<CreateResult<BasinRecord>> results = new ArrayList<>();
      for (CompletableFuture<CreateResult<BasinRecord>> c : calls) {
        results.add(c.get(60, TimeUnit.SECONDS));
      }

      List<BasinRecord> created = CreateResults.created(results);
      assertThat(created).hasSize(1);
      assertThat(CreateResults.existing(results)).hasSize(8).containsOnly(created.get(0));
    } finally {
      nodes.forEach(CassandraMetadataStore::close);
    }
  }

  @Test
  void concurrentActivationsThroughSeparateSessionsHaveExactlyOneWinner() throws Exception {
    String streamId = UUID.randomUUID().toString();
    List<CassandraMetadataStore> nodes = openNodes(3);
    try {
      List<StreamletRecord> candidates = new ArrayList<>();
      List<CompletableFuture<Boolean>> calls = new ArrayList<>();
      for (int n = 0; n < nodes.size(); n++) {
        for (int k = 0; k < 3; k++) {
          StreamletRecord mine =
              new StreamletRecord(streamId, 2, "ch-" + n + "-" + k, k, null, null);
          candidates.add(mine);
          calls.add(nodes.get(n).createStreamlet(mine).toCompletableFuture());
        }
      }
      List<StreamletRecord> winners = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        if (calls.get(i).get(60, TimeUnit.SECONDS)) {
          winners.add(candidates.get(i));
        }
      }

      assertThat(winners).hasSize(1);
      assertThat(nodes.get(0).listStreamlets(streamId).toCompletableFuture().get())
          .containsExactly(winners.get(0));
    } finally {
      nodes.forEach(CassandraMetadataStore::close);
    }
  }

  @Test
  void applyingTheSchemaAgainAppliesNothingAndRecordsEveryVersionOnce() {
    CassandraSettings settings = CassandraService.settings();
    CassandraMetadataStore.open(settings).close();

    assertThat(CassandraMetadataStore.applySchema(settings)).isZero();
    assertThat(CassandraMetadataStore.applySchema(settings)).isZero();
    try (CqlSession session = session(settings)) {
      assertThat(session.execute("SELECT version, name FROM millrace.schema_version").all())
          .extracting(r -> r.getInt("version") + " " + r.getString("name"))
          .containsExactlyInAnyOrder(
              "1 V1__schema.cql",
              "2 V2__streamlet_latest_epoch.cql",
              "3 V3__channel_collected_through.cql",
              "4 V4__access_tokens.cql",
              "5 V5__locations.cql");
      assertThat(
              session
                  .execute(
                      "SELECT table_name FROM system_schema.tables WHERE keyspace_name ="
                          + " 'millrace'")
                  .all())
          .extracting(r -> r.getString("table_name"))
          .containsExactlyInAnyOrder(
              "basins",
              "streams",
              "stream_state",
              "streamlets",
              "segments",
              "channels",
              "access_tokens",
              "account_settings",
              "schema_version");
    }
  }

  @Test
  void aKeyspaceWithANewerSchemaThanThisBuildIsRefusedAtOpenWithoutChangingIt() {
    CassandraSettings settings = CassandraService.settings().withKeyspace("millrace_future_it");
    try (CqlSession session = session(settings)) {
      session.execute(
          "CREATE KEYSPACE IF NOT EXISTS millrace_future_it WITH replication ="
              + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute(
          "CREATE TABLE IF NOT EXISTS millrace_future_it.schema_version"
              + " (version int PRIMARY KEY, name text, applied_at timestamp)");
      session.execute(
          "INSERT INTO millrace_future_it.schema_version (version, name, applied_at)"
              + " VALUES (99, 'V99__future.cql', toTimestamp(now()))");

      assertThatThrownBy(() -> CassandraMetadataStore.open(settings))
          .isInstanceOf(MetadataStoreException.class)
          .hasMessageContaining("schema version 99");
      assertThat(
              session
                  .execute(
                      "SELECT table_name FROM system_schema.tables WHERE keyspace_name ="
                          + " 'millrace_future_it'")
                  .all())
          .extracting(r -> r.getString("table_name"))
          .containsExactly("schema_version");
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void openingAgainstAnUnreachableNodeFailsWithAClearMessageInsteadOfHanging() {
    int closedPort = ServiceProcess.freePort();
    CassandraSettings settings =
        CassandraSettings.local(closedPort)
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));

    assertThatThrownBy(() -> CassandraMetadataStore.open(settings))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("127.0.0.1:" + closedPort);
    assertThatThrownBy(() -> CassandraMetadataStore.applySchema(settings))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("127.0.0.1:" + closedPort);
  }

  @Test
  void callsOnAClosedStoreFailWithMetadataStoreExceptionAndItIsNotHealthy() throws Exception {
    CassandraMetadataStore store = CassandraMetadataStore.open(CassandraService.settings());
    store.close();

    assertThat(store.healthy().toCompletableFuture().get(10, TimeUnit.SECONDS)).isFalse();
    assertThatThrownBy(() -> store.getBasin("any").toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(MetadataStoreException.class);
  }

  @Test
  void aSupersededOwnerOnOneNodeCannotSealOrRotateAfterAnotherNodeActivatedAbove()
      throws Exception {
    String id = UUID.randomUUID().toString();
    List<CassandraMetadataStore> nodes = openNodes(2);
    try {
      CassandraMetadataStore old = nodes.get(0);
      CassandraMetadataStore next = nodes.get(1);
      assertThat(join(old.createStreamlet(new StreamletRecord(id, 1, "ch-old", 0, null, null))))
          .isTrue();
      assertThat(join(next.createStreamlet(new StreamletRecord(id, 2, "ch-new", 0, null, null))))
          .isTrue();
      assertThat(join(next.createStreamlet(new StreamletRecord(id, 3, "ch-new", 4, null, null))))
          .isTrue();
      join(next.deleteStreamlets(id, 3));

      assertThat(join(old.sealStreamlet(id, 1, 10, 2))).isFalse();
      assertThat(join(old.createStreamlet(new StreamletRecord(id, 2, "ch-old", 3, null, null))))
          .isFalse();
      assertThat(join(old.listStreamlets(id)))
          .containsExactly(new StreamletRecord(id, 3, "ch-new", 4, null, null));
    } finally {
      nodes.forEach(CassandraMetadataStore::close);
    }
  }

  @Test
  void aStreamletsPartitionWrittenBeforeSchemaVersion2IsFencedByItsHighestRow() {
    CassandraSettings settings = CassandraService.settings();
    String id = UUID.randomUUID().toString();
    try (CassandraMetadataStore store = CassandraMetadataStore.open(settings);
        CqlSession session = session(settings)) {
      // What a version-1 build wrote: rows without the static latest_epoch.
      session.execute(
          "INSERT INTO millrace.streamlets (stream_id, epoch, channel_id, first_chunk_seq)"
              + " VALUES (?, 4, 'ch-v1', 0)",
          id);

      assertThat(join(store.createStreamlet(new StreamletRecord(id, 3, "ch-z", 0, null, null))))
          .isFalse();
      assertThat(join(store.sealStreamlet(id, 4, 10, 2)))
          .as("a seal without the fence is refused; the next activation recovers it")
          .isFalse();
      assertThat(join(store.createStreamlet(new StreamletRecord(id, 5, "ch-b", 1, null, null))))
          .isTrue();
      assertThat(join(store.sealStreamlet(id, 5, 10, 2))).isTrue();
      assertThat(join(store.listStreamlets(id)))
          .containsExactly(
              new StreamletRecord(id, 4, "ch-v1", 0, null, null),
              new StreamletRecord(id, 5, "ch-b", 1, 10L, 2L));
    }
  }

  @Test
  void fencedOwnerWritesApplyAndTheirLatencyIsReported() {
    int n = 40;
    long[][] nanos = new long[4][n];
    String id = UUID.randomUUID().toString();
    try (CassandraMetadataStore store = CassandraMetadataStore.open(CassandraService.settings())) {
      for (int i = 0; i < n; i++) {
        long epoch = i + 1;
        long first = i * 10L;
        long t0 = System.nanoTime();
        assertThat(join(store.createStreamlet(new StreamletRecord(id, epoch, "ch", i, null, null))))
            .isTrue();
        long t1 = System.nanoTime();
        assertThat(
                join(store.addSegment(new SegmentRecord(id, first, first + 9, 1, 2, "k" + i, 9))))
            .isTrue();
        long t2 = System.nanoTime();
        assertThat(
                join(
                    store.putStreamState(
                        new StreamStateRecord(id, first + 10, first + 10, 2, null, 0, epoch))))
            .isTrue();
        long t3 = System.nanoTime();
        assertThat(join(store.sealStreamlet(id, epoch, first + 10, i))).isTrue();
        long t4 = System.nanoTime();
        nanos[0][i] = t1 - t0;
        nanos[1][i] = t2 - t1;
        nanos[2][i] = t3 - t2;
        nanos[3][i] = t4 - t3;
      }
    }
    String[] names = {"createStreamlet", "addSegment", "putStreamState", "sealStreamlet"};
    StringBuilder report = new StringBuilder("Fenced owner writes on one local Cassandra node,");
    report.append(" median / max of ").append(n).append(" calls in ms:");
    for (int k = 0; k < names.length; k++) {
      long[] sorted = nanos[k].clone();
      Arrays.sort(sorted);
      report.append(
          String.format(" %s %.2f / %.2f;", names[k], sorted[n / 2] / 1e6, sorted[n - 1] / 1e6));
    }
    System.out.println(report);
  }

  private static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("metadata call did not complete normally: " + e, e);
    }
  }

  private static List<CassandraMetadataStore> openNodes(int n) {
    List<CassandraMetadataStore> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      nodes.add(CassandraMetadataStore.open(CassandraService.settings()));
    }
    return nodes;
  }

  private static CqlSession session(CassandraSettings settings) {
    return CqlSession.builder()
        .addContactPoints(settings.contactPoints())
        .withLocalDatacenter(settings.localDatacenter())
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
                .build())
        .build();
  }
}
