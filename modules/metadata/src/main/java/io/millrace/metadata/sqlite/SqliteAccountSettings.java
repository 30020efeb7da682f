package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataTables;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Table {@code account_settings} (docs/metadata.md, schema version 3): upserted key-value rows. */
record SqliteAccountSettings(SqliteExecutor db) implements MetadataTables.AccountSettings {

  private static final String GET = "SELECT value FROM account_settings WHERE name = ?";
  private static final String PUT =
      "INSERT OR REPLACE INTO account_settings(name, value) VALUES (?, ?)";

  @Override
  public CompletionStage<Optional<String>> get(String key) {
    return db.one("get account setting " + key, GET, SqliteAccountSettings::row, key);
  }

  @Override
  public CompletionStage<Void> put(String key, String value) {
    Objects.requireNonNull(value, "value");
    return db.execute("put account setting " + key, PUT, key, value);
  }

  private static String row(ResultSet rs) throws SQLException {
    return rs.getString(1);
  }
}
