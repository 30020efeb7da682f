package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code basins}, one partition per account (a single implicit account): every write is a
 * lightweight transaction (insert if absent, version-checked update and delete).
 */
final class CassandraBasins implements MetadataTables.Basins {

  /** The single implicit account that partitions {@code basins}. */
  static final String ACCOUNT = "default";

  static final CatalogRows.Spec<BasinRecord> SPEC =
      new CatalogRows.Spec<>(
          "INSERT INTO ${keyspace}.basins (account, name, config, created_at, deleted_at,"
              + " create_token, version, location) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
          "SELECT * FROM ${keyspace}.basins WHERE account = ? AND name = ?",
          "UPDATE ${keyspace}.basins SET config = ?, created_at = ?, deleted_at = ?,"
              + " create_token = ?, version = ?, location = ? WHERE account = ? AND name = ?"
              + " IF version = ?",
          "DELETE FROM ${keyspace}.basins WHERE account = ? AND name = ? IF version = ?",
          "basins WHERE account = ?",
          CassandraBasins::row,
          BasinRecord::version,
          BasinRecord::name,
          b -> Arrays.asList(ACCOUNT, b.name()),
          b ->
              Arrays.asList(
                  ConfigCodec.toJson(b.config()),
                  b.createdAt(),
                  b.deletedAt(),
                  b.createToken(),
                  b.version(),
                  b.location()));

  private final CatalogRows<BasinRecord> rows;

  CassandraBasins(Cql cql, CasRetry cas, Prepared prepared) {
    this.rows = new CatalogRows<>(SPEC, cql, cas, prepared);
  }

  @Override
  public CompletionStage<CreateResult<BasinRecord>> create(BasinRecord b) {
    return rows.create(b);
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> get(String name) {
    return rows.get(ACCOUNT, name);
  }

  @Override
  public CompletionStage<List<BasinRecord>> list(String prefix, String startAfter, int limit) {
    return rows.list(List.of(ACCOUNT), prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> update(BasinRecord b, long expectedVersion) {
    return rows.update(b, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> delete(String name, long expectedVersion) {
    return rows.delete(expectedVersion, ACCOUNT, name);
  }

  private static BasinRecord row(Row r) {
    return new BasinRecord(
        r.getString("name"),
        ConfigCodec.basinConfigFromJson(r.getString("config")),
        r.getInstant("created_at"),
        r.getInstant("deleted_at"),
        r.getString("create_token"),
        r.getLong("version"),
        r.getString("location"));
  }
}
