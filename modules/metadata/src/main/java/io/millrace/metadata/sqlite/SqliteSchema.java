package io.millrace.metadata.sqlite;

import io.millrace.metadata.schema.SchemaMigrations;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The SQLite schema: versioned resource files {@code V<n>__<name>.sql} next to this class, each
 * applied once, in one transaction together with its {@code schema_version} row.
 */
final class SqliteSchema {
  private SqliteSchema() {}

  /** Schema migrations in order; version n is the n-th entry. Never edit a released one. */
  static final SchemaMigrations MIGRATIONS =
      new SchemaMigrations(
          SqliteSchema.class,
          List.of(
              "V1__schema.sql",
              "V2__streamlet_epochs.sql",
              "V3__channel_collected_through.sql",
              "V4__access_tokens.sql",
              "V5__locations.sql"));

  /**
   * Applies the migrations not yet recorded in {@code schema_version}; returns how many. Each
   * version is decided and applied in its own transaction ({@code BEGIN IMMEDIATE}), so a second
   * process opening the same file concurrently applies nothing twice.
   *
   * @throws io.millrace.metadata.MetadataStoreException if the database is newer than this build
   */
  static int migrate(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS schema_version ("
              + "version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL,"
              + " applied_at TEXT NOT NULL)");
    }
    int applied = 0;
    for (int v = 1; v <= MIGRATIONS.latest(); v++) {
      c.setAutoCommit(false);
      try {
        int current = currentVersion(c);
        MIGRATIONS.requireSupported(current, "the metadata database");
        if (current < v) {
          try (Statement s = c.createStatement()) {
            for (String sql : MIGRATIONS.statements(v, Map.of())) {
              s.executeUpdate(sql);
            }
          }
          Sql.update(
              c,
              "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
              v,
              MIGRATIONS.name(v),
              Instant.now().toString());
          applied++;
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
    return applied;
  }

  private static int currentVersion(Connection c) throws SQLException {
    return Sql.one(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version", rs -> rs.getInt(1))
        .orElseThrow();
  }
}
