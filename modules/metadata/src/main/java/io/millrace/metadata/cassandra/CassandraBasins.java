package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code basins}, one partition per account (a single implicit account): every write is a
 * lightweight transaction (insert if absent, version-checked update and delete).
 */
final class CassandraBasins {

  /** The single implicit account that partitions {@code basins}. */
  static final String ACCOUNT = "default";

  private static final String INSERT =
      "INSERT INTO ${keyspace}.basins (account, name, config, created_at, deleted_at,"
          + " create_token, version) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS";
  private static final String GET =
      "SELECT * FROM ${keyspace}.basins WHERE account = ? AND name = ?";
  private static final String UPDATE =
      "UPDATE ${keyspace}.basins SET config = ?, created_at = ?, deleted_at = ?,"
          + " create_token = ?, version = ? WHERE account = ? AND name = ? IF version = ?";
  private static final String DELETE =
      "DELETE FROM ${keyspace}.basins WHERE account = ? AND name = ? IF version = ?";
  private static final String LIST_WHERE = "basins WHERE account = ?";

  /** The templates to prepare. */
  static List<String> cql() {
    List<String> all = new ArrayList<>(List.of(INSERT, GET, UPDATE, DELETE));
    all.addAll(NameListing.cql(LIST_WHERE));
    return all;
  }

  private final Cql cql;
  private final CasRetry cas;
  private final PreparedStatement insert;
  private final PreparedStatement get;
  private final PreparedStatement update;
  private final PreparedStatement delete;
  private final NameListing listing;

  CassandraBasins(Cql cql, CasRetry cas, Prepared prepared) {
    this.cql = cql;
    this.cas = cas;
    this.insert = prepared.get(INSERT);
    this.get = prepared.get(GET);
    this.update = prepared.get(UPDATE);
    this.delete = prepared.get(DELETE);
    this.listing = new NameListing(prepared, LIST_WHERE);
  }

  CompletionStage<CreateResult<BasinRecord>> create(BasinRecord b) {
    return cas.create(
        () ->
            insert.bind(
                ACCOUNT,
                b.name(),
                ConfigCodec.toJson(b.config()),
                b.createdAt(),
                b.deletedAt(),
                b.createToken(),
                b.version()),
        b,
        CassandraBasins::row);
  }

  CompletionStage<Optional<BasinRecord>> get(String name) {
    return cql.one(get.bind(ACCOUNT, name), CassandraBasins::row);
  }

  CompletionStage<List<BasinRecord>> list(String prefix, String startAfter, int limit) {
    return listing.list(
        cql, List.of(ACCOUNT), prefix, startAfter, limit, CassandraBasins::row, BasinRecord::name);
  }

  CompletionStage<Boolean> update(BasinRecord b, long expectedVersion) {
    return cas.versioned(
        () ->
            update.bind(
                ConfigCodec.toJson(b.config()),
                b.createdAt(),
                b.deletedAt(),
                b.createToken(),
                b.version(),
                ACCOUNT,
                b.name(),
                expectedVersion),
        () -> get.bind(ACCOUNT, b.name()),
        CassandraBasins::row,
        BasinRecord::version,
        expectedVersion,
        Optional.of(b));
  }

  CompletionStage<Boolean> delete(String name, long expectedVersion) {
    return cas.versioned(
        () -> delete.bind(ACCOUNT, name, expectedVersion),
        () -> get.bind(ACCOUNT, name),
        CassandraBasins::row,
        BasinRecord::version,
        expectedVersion,
        Optional.empty());
  }

  private static BasinRecord row(Row r) {
    return new BasinRecord(
        r.getString("name"),
        ConfigCodec.basinConfigFromJson(r.getString("config")),
        r.getInstant("created_at"),
        r.getInstant("deleted_at"),
        r.getString("create_token"),
        r.getLong("version"));
  }
}
