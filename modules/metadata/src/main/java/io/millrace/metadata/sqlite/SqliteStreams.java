package io.millrace.metadata.sqlite;

import static io.millrace.metadata.sqlite.Sql.instant;
import static io.millrace.metadata.sqlite.Sql.text;

import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Table {@code streams} (docs/metadata.md): like basins, partitioned by basin. */
final class SqliteStreams implements MetadataTables.Streams {

  private static final String COLUMNS =
      "basin, name, stream_id, config, created_at, deleted_at, create_token, cipher, version";
  private static final String INSERT =
      "INSERT INTO streams("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(basin, name) DO NOTHING";
  private static final String GET =
      "SELECT " + COLUMNS + " FROM streams WHERE basin = ? AND name = ?";
  private static final String LIST =
      "SELECT " + COLUMNS + " FROM streams WHERE basin = ? AND %s ORDER BY name LIMIT ?";
  private static final String UPDATE =
      "UPDATE streams SET stream_id = ?, config = ?, created_at = ?, deleted_at = ?,"
          + " create_token = ?, cipher = ?, version = ?"
          + " WHERE basin = ? AND name = ? AND version = ?";
  private static final String DELETE =
      "DELETE FROM streams WHERE basin = ? AND name = ? AND version = ?";

  private final SqliteExecutor db;

  SqliteStreams(SqliteExecutor db) {
    this.db = db;
  }

  @Override
  public CompletionStage<CreateResult<StreamRecord>> create(StreamRecord stream) {
    Objects.requireNonNull(stream, "stream");
    return db.write(
        "create stream " + stream.basin() + "/" + stream.name(),
        c -> {
          List<Object> values = new ArrayList<>(Arrays.asList(stream.basin(), stream.name()));
          values.addAll(columnValues(stream));
          if (Sql.update(c, INSERT, values.toArray()) == 1) {
            return new CreateResult.Created<>(stream);
          }
          return new CreateResult.AlreadyExists<>(
              select(c, stream.basin(), stream.name()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> get(String basin, String name) {
    return db.read("get stream " + basin + "/" + name, c -> select(c, basin, name));
  }

  @Override
  public CompletionStage<List<StreamRecord>> list(
      String basin, String prefix, String startAfter, int limit) {
    Sql.requireLimit(limit);
    return db.read(
        "list streams of " + basin,
        c -> {
          Sql.NameRange r = new Sql.NameRange("name", prefix, startAfter);
          List<Object> values = new ArrayList<>();
          values.add(basin);
          values.addAll(r.values());
          values.add(limit);
          return Sql.list(c, LIST.formatted(r.sql()), SqliteStreams::row, values.toArray());
        });
  }

  @Override
  public CompletionStage<Boolean> update(StreamRecord stream, long expectedVersion) {
    Objects.requireNonNull(stream, "stream");
    return db.write(
        "update stream " + stream.basin() + "/" + stream.name(),
        c -> {
          List<Object> values = new ArrayList<>(columnValues(stream));
          values.add(stream.basin());
          values.add(stream.name());
          values.add(expectedVersion);
          return Sql.update(c, UPDATE, values.toArray()) == 1;
        });
  }

  @Override
  public CompletionStage<Boolean> delete(String basin, String name, long expectedVersion) {
    return db.write(
        "delete stream " + basin + "/" + name,
        c -> Sql.update(c, DELETE, basin, name, expectedVersion) == 1);
  }

  /** The values of stream_id .. version, in column order. */
  private static List<Object> columnValues(StreamRecord s) {
    return Arrays.asList(
        s.streamId(),
        ConfigCodec.toJson(s.config()),
        text(s.createdAt()),
        text(s.deletedAt()),
        s.createToken(),
        s.cipher(),
        s.version());
  }

  private static Optional<StreamRecord> select(Connection c, String basin, String name)
      throws SQLException {
    return Sql.one(c, GET, SqliteStreams::row, basin, name);
  }

  private static StreamRecord row(ResultSet rs) throws SQLException {
    return new StreamRecord(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        ConfigCodec.streamConfigFromJson(rs.getString(4)),
        instant(rs.getString(5)),
        instant(rs.getString(6)),
        rs.getString(7),
        rs.getString(8),
        rs.getLong(9));
  }
}
