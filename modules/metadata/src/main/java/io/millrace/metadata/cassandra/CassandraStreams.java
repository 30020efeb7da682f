package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.StreamRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code streams}, one partition per basin: every write is a lightweight transaction, as for
 * basins.
 */
final class CassandraStreams {

  private static final String INSERT =
      "INSERT INTO ${keyspace}.streams (basin, name, stream_id, config, created_at, deleted_at,"
          + " create_token, cipher, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS";
  private static final String GET =
      "SELECT * FROM ${keyspace}.streams WHERE basin = ? AND name = ?";
  private static final String UPDATE =
      "UPDATE ${keyspace}.streams SET stream_id = ?, config = ?, created_at = ?,"
          + " deleted_at = ?, create_token = ?, cipher = ?, version = ?"
          + " WHERE basin = ? AND name = ? IF version = ?";
  private static final String DELETE =
      "DELETE FROM ${keyspace}.streams WHERE basin = ? AND name = ? IF version = ?";
  private static final String LIST_WHERE = "streams WHERE basin = ?";

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

  CassandraStreams(Cql cql, CasRetry cas, Prepared prepared) {
    this.cql = cql;
    this.cas = cas;
    this.insert = prepared.get(INSERT);
    this.get = prepared.get(GET);
    this.update = prepared.get(UPDATE);
    this.delete = prepared.get(DELETE);
    this.listing = new NameListing(prepared, LIST_WHERE);
  }

  CompletionStage<CreateResult<StreamRecord>> create(StreamRecord s) {
    return cas.create(
        () ->
            insert.bind(
                s.basin(),
                s.name(),
                s.streamId(),
                ConfigCodec.toJson(s.config()),
                s.createdAt(),
                s.deletedAt(),
                s.createToken(),
                s.cipher(),
                s.version()),
        s,
        CassandraStreams::row);
  }

  CompletionStage<Optional<StreamRecord>> get(String basin, String name) {
    return cql.one(get.bind(basin, name), CassandraStreams::row);
  }

  CompletionStage<List<StreamRecord>> list(
      String basin, String prefix, String startAfter, int limit) {
    return listing.list(
        cql, List.of(basin), prefix, startAfter, limit, CassandraStreams::row, StreamRecord::name);
  }

  CompletionStage<Boolean> update(StreamRecord s, long expectedVersion) {
    return cas.versioned(
        () ->
            update.bind(
                s.streamId(),
                ConfigCodec.toJson(s.config()),
                s.createdAt(),
                s.deletedAt(),
                s.createToken(),
                s.cipher(),
                s.version(),
                s.basin(),
                s.name(),
                expectedVersion),
        () -> get.bind(s.basin(), s.name()),
        CassandraStreams::row,
        StreamRecord::version,
        expectedVersion,
        Optional.of(s));
  }

  CompletionStage<Boolean> delete(String basin, String name, long expectedVersion) {
    return cas.versioned(
        () -> delete.bind(basin, name, expectedVersion),
        () -> get.bind(basin, name),
        CassandraStreams::row,
        StreamRecord::version,
        expectedVersion,
        Optional.empty());
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
