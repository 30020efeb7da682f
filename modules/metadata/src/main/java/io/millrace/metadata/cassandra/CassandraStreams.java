package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code streams}, one partition per basin: every write is a lightweight transaction, as for
 * basins.
 */
final class CassandraStreams implements MetadataTables.Streams {

  static final CatalogRows.Spec<StreamRecord> SPEC =
      new CatalogRows.Spec<>(
          "INSERT INTO ${keyspace}.streams (basin, name, stream_id, config, created_at,"
              + " deleted_at, create_token, cipher, version)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
          "SELECT * FROM ${keyspace}.streams WHERE basin = ? AND name = ?",
          "UPDATE ${keyspace}.streams SET stream_id = ?, config = ?, created_at = ?,"
              + " deleted_at = ?, create_token = ?, cipher = ?, version = ?"
              + " WHERE basin = ? AND name = ? IF version = ?",
          "DELETE FROM ${keyspace}.streams WHERE basin = ? AND name = ? IF version = ?",
          "streams WHERE basin = ?",
          CassandraStreams::row,
          StreamRecord::version,
          StreamRecord::name,
          s -> Arrays.asList(s.basin(), s.name()),
          s ->
              Arrays.asList(
                  s.streamId(),
                  ConfigCodec.toJson(s.config()),
                  s.createdAt(),
                  s.deletedAt(),
                  s.createToken(),
                  s.cipher(),
                  s.version()));

  private final CatalogRows<StreamRecord> rows;

  CassandraStreams(Cql cql, CasRetry cas, Prepared prepared) {
    this.rows = new CatalogRows<>(SPEC, cql, cas, prepared);
  }

  @Override
  public CompletionStage<CreateResult<StreamRecord>> create(StreamRecord s) {
    return rows.create(s);
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> get(String basin, String name) {
    return rows.get(basin, name);
  }

  @Override
  public CompletionStage<List<StreamRecord>> list(
      String basin, String prefix, String startAfter, int limit) {
    return rows.list(List.of(basin), prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> update(StreamRecord s, long expectedVersion) {
    return rows.update(s, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> delete(String basin, String name, long expectedVersion) {
    return rows.delete(expectedVersion, basin, name);
  }

  private static StreamRecord row(Row r) {
    return new StreamRecord(
        r.getString("basin"),
        r.getString("name"),
        r.getString("stream_id"),
        ConfigCodec.streamConfigFromJson(r.getString("config")),
        r.getInstant("created_at"),
        r.getInstant("deleted_at"),
        r.getString("create_token"),
        r.getString("cipher"),
        r.getLong("version"));
  }
}
