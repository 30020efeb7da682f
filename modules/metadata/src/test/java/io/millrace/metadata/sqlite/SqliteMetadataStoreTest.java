package io.millrace.metadata.sqlite;

import static io.millrace.testsupport.Stages.failure;
import static io.millrace.testsupport.Stages.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.StreamConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteMetadataStoreTest {

  @TempDir Path dir;

  private final Instant t0 = Instant.parse("2026-11-26T06:00:00.123456789Z");

  @Test
  void everyTableKeepsItsRowsAcrossCloseAndReopen() {
    Path file = dir.resolve("nested/dir/metadata.db");
    BasinRecord basin =
        new BasinRecord("my-basin-1", BasinConfig.DEFAULT, t0, null, "tok", 1, null);
    StreamRecord stream =
        new StreamRecord(
            "my-basin-1", "s", "id-1", StreamConfig.SYSTEM_DEFAULT, t0, null, null, null, 1);
    StreamStateRecord state = new StreamStateRecord("id-1", 10, 9, 5, "f", 0, 2);
    StreamletRecord streamlet = new StreamletRecord("id-1", 2, "ch-1", 4, null, null);
    SegmentRecord segment = new SegmentRecord("id-1", 0, 9, 1, 5, "segments/id-1/0-9", 900);
    ChannelRecord channel = new ChannelRecord("ch-1", "node-1", "express", t0, null);

    try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
      join(store.createBasin(basin));
      join(store.createStream(stream));
      join(store.putStreamState(state));
      join(store.createStreamlet(streamlet));
      join(store.addSegment(segment));
      join(store.putChannel(channel));
    }

    try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
      assertThat(join(store.getBasin("my-basin-1"))).contains(basin);
      assertThat(join(store.getStream("my-basin-1", "s"))).contains(stream);
      assertThat(join(store.getStreamState("id-1"))).contains(state);
      assertThat(join(store.listStreamlets("id-1"))).containsExactly(streamlet);
      assertThat(join(store.listSegments("id-1"))).containsExactly(segment);
      assertThat(join(store.getChannel("ch-1"))).contains(channel);
    }
  }

  @Test
  void instantsKeepNanosecondPrecision() {
    try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
      join(
          store.createBasin(
              new BasinRecord("basin-xyz", BasinConfig.DEFAULT, t0, t0, null, 1, null)));

      BasinRecord read = join(store.getBasin("basin-xyz")).orElseThrow();

      assertThat(read.createdAt()).isEqualTo(t0);
      assertThat(read.deletedAt()).isEqualTo(t0);
    }
  }

  @Test
  void theFileRunsInWalModeWithFullSynchronousCommits() {
    try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
      assertThat(join(store.pragma("journal_mode"))).isEqualToIgnoringCase("wal");
      // 2 = FULL
      assertThat(join(store.pragma("synchronous"))).isEqualTo("2");
    }
  }

  @Test
  void theSchemaIsAppliedOnceAndRecordedInSchemaVersion() throws Exception {
    Path file = dir.resolve("metadata.db");
    SqliteMetadataStore.open(file).close();
    SqliteMetadataStore.open(file).close();

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      List<String> applied = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT version, name FROM schema_version ORDER BY 1")) {
        while (rs.next()) {
          applied.add(rs.getInt(1) + ":" + rs.getString(2));
        }
      }
      assertThat(applied)
          .containsExactly(
              "1:V1__schema.sql",
              "2:V2__streamlet_epochs.sql",
              "3:V3__channel_collected_through.sql",
              "4:V4__access_tokens.sql",
              "5:V5__locations.sql");
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      assertThat(tables)
          .containsExactly(
              "access_tokens",
              "account_settings",
              "basins",
              "channels",
              "schema_version",
              "segments",
              "stream_state",
              "streamlet_epochs",
              "streamlets",
              "streams");
    }
  }

  @Test
  void aDatabaseWithANewerSchemaIsRefused() throws Exception {
    Path file =
        databaseChangedBy(
            "INSERT INTO schema_version(version, name, applied_at) VALUES (99, 'V99__future.sql', 'x')");

    assertThatThrownBy(() -> SqliteMetadataStore.open(file))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("schema version 99");
  }

  @Test
  void anUnreadableStoredConfigFailsTheCallWithMetadataStoreException() throws Exception {
    Path file =
        databaseChangedBy(
            "INSERT INTO basins(name, config, created_at, version)"
                + " VALUES ('bad-basin', '{\"v\":7}', '2026-01-01T00:00:00Z', 1)");

    try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
      assertThat(failure(store.getBasin("bad-basin")))
          .isInstanceOf(MetadataStoreException.class)
          .hasMessageContaining("bad-basin");
    }
  }

  /** A new store's database file, then changed behind the store's back by {@code sql}. */
  private Path databaseChangedBy(String sql) throws Exception {
    Path file = dir.resolve("metadata.db");
    SqliteMetadataStore.open(file).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
    return file;
  }

  @Test
  void aClosedStoreFailsCallsAndIsNotHealthy() {
    SqliteMetadataStore store = SqliteMetadataStore.inMemory();
    store.close();

    assertThat(failure(store.getBasin("x"))).isInstanceOf(MetadataStoreException.class);
    assertThat(join(store.healthy())).isFalse();
    store.close();
  }

  @Test
  void aMissingRowCannotBeSealed() {
    try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
      assertThat(join(store.sealStreamlet("id", 1, 10, 3))).isFalse();
      join(store.sealChannel("ch", 3));

      assertThat(join(store.listStreamlets("id"))).isEmpty();
      assertThat(join(store.getChannel("ch"))).isEmpty();
    }
  }
}
