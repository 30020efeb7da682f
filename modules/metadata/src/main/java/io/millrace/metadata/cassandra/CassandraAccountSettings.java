package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.MetadataTables;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code account_settings} (docs/metadata.md, schema version 3): one partition per account
 * (the single implicit account of {@link CassandraBasins#ACCOUNT}), a row per key, upserted (the
 * last write wins).
 */
final class CassandraAccountSettings extends CassandraTable
    implements MetadataTables.AccountSettings {

  private static final String GET =
      "SELECT value FROM ${keyspace}.account_settings WHERE account = ? AND name = ?";
  private static final String PUT =
      "INSERT INTO ${keyspace}.account_settings (account, name, value) VALUES (?, ?, ?)";

  /** The templates to prepare. */
  static final List<String> CQL = List.of(GET, PUT);

  CassandraAccountSettings(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  @Override
  public CompletionStage<Optional<String>> get(String key) {
    return cql.one(
        statement(GET).bind(CassandraBasins.ACCOUNT, key), CassandraAccountSettings::row);
  }

  @Override
  public CompletionStage<Void> put(String key, String value) {
    Objects.requireNonNull(value, "value");
    return cql.write(() -> statement(PUT).bind(CassandraBasins.ACCOUNT, key, value));
  }

  private static String row(Row r) {
    return r.getString("value");
  }
}
