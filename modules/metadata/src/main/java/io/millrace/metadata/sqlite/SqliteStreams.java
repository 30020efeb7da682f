package io.millrace.metadata.sqlite;

import static io.millrace.metadata.sqlite.Sql.instant;
import static io.millrace.metadata.sqlite.Sql.text;

import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Table {@code streams} (docs/metadata.md): like basins, partitioned by basin. */
record SqliteStreams(SqliteExecutor db) implements MetadataTables.Streams {

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

  @Override
  public CompletionStage<CreateResult<StreamRecord>> create(StreamRecord stream) {
    Objects.requireNonNull(stream, "stream");
    return db.write(
        "create stream " + stream.basin() + "/" + stream.name(),
        c -> {
          List<Object> key = Arrays.asList(stream.basin(), stream.name());
          if (Sql.update(c, INSERT, Sql.concat(key, columnValues(stream))) == 1) {
            return new CreateResult.Created<>(stream);
          }
          return new CreateResult.AlreadyExists<>(
              Sql.one(c, GET, SqliteStreams::row, key.toArray()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> get(String basin, String name) {
    return db.one("get stream " + basin + "/" + name, GET, SqliteStreams::row, basin, name);
  }

  @Override
  public CompletionStage<List<StreamRecord>> list(
      String basin, String prefix, String startAfter, int limit) {
    Sql.requireLimit(limit);
    Sql.NameRange r = new Sql.NameRange("name", prefix, startAfter);
    return db.list(
        "list streams of " + basin,
        LIST.formatted(r.sql()),
        SqliteStreams::row,
        r.values(Arrays.asList(basin), limit));
  }

  @Override
  public CompletionStage<Boolean> update(StreamRecord stream, long expectedVersion) {
    Objects.requireNonNull(stream, "stream");
    return db.write(
        "update stream " + stream.basin() + "/" + stream.name(),
        c -> {
          List<Object> where = Arrays.asList(stream.basin(), stream.name(), expectedVersion);
          return Sql.update(c, UPDATE, Sql.concat(columnValues(stream), where)) == 1;
        });
  }

  @Override
  public CompletionStage<Boolean> delete(String basin, String name, long expectedVersion) {
    return db.updateOne(
        "delete stream " + basin + "/" + name, DELETE, basin, name, expectedVersion);
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
