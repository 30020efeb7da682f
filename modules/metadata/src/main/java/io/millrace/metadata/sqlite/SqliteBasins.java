package io.millrace.metadata.sqlite;

import static io.millrace.metadata.sqlite.Sql.instant;
import static io.millrace.metadata.sqlite.Sql.text;

import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Table {@code basins} (docs/metadata.md): version-checked writes in one transaction each. */
record SqliteBasins(SqliteExecutor db) implements MetadataTables.Basins {

  private static final String COLUMNS =
      "name, config, created_at, deleted_at, create_token, version, location";
  private static final String INSERT =
      "INSERT INTO basins("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING";
  private static final String GET = "SELECT " + COLUMNS + " FROM basins WHERE name = ?";
  private static final String LIST =
      "SELECT " + COLUMNS + " FROM basins WHERE %s ORDER BY name LIMIT ?";
  private static final String UPDATE =
      "UPDATE basins SET config = ?, created_at = ?, deleted_at = ?, create_token = ?,"
          + " version = ?, location = ? WHERE name = ? AND version = ?";
  private static final String DELETE = "DELETE FROM basins WHERE name = ? AND version = ?";

  @Override
  public CompletionStage<CreateResult<BasinRecord>> create(BasinRecord basin) {
    Objects.requireNonNull(basin, "basin");
    return db.write(
        "create basin " + basin.name(),
        c -> {
          if (Sql.update(c, INSERT, Sql.concat(Arrays.asList(basin.name()), columnValues(basin)))
              == 1) {
            return new CreateResult.Created<>(basin);
          }
          return new CreateResult.AlreadyExists<>(
              Sql.one(c, GET, SqliteBasins::row, basin.name()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> get(String name) {
    return db.one("get basin " + name, GET, SqliteBasins::row, name);
  }

  @Override
  public CompletionStage<List<BasinRecord>> list(String prefix, String startAfter, int limit) {
    Sql.requireLimit(limit);
    Sql.NameRange r = new Sql.NameRange("name", prefix, startAfter);
    return db.list(
        "list basins", LIST.formatted(r.sql()), SqliteBasins::row, r.values(List.of(), limit));
  }

  @Override
  public CompletionStage<Boolean> update(BasinRecord basin, long expectedVersion) {
    Objects.requireNonNull(basin, "basin");
    return db.write(
        "update basin " + basin.name(),
        c -> {
          Object[] values =
              Sql.concat(columnValues(basin), Arrays.asList(basin.name(), expectedVersion));
          return Sql.update(c, UPDATE, values) == 1;
        });
  }

  @Override
  public CompletionStage<Boolean> delete(String name, long expectedVersion) {
    return db.updateOne("delete basin " + name, DELETE, name, expectedVersion);
  }

  /** The values of config .. location, in column order. */
  private static List<Object> columnValues(BasinRecord b) {
    return Arrays.asList(
        ConfigCodec.toJson(b.config()),
        text(b.createdAt()),
        text(b.deletedAt()),
        b.createToken(),
        b.version(),
        b.location());
  }

  private static BasinRecord row(ResultSet rs) throws SQLException {
    return new BasinRecord(
        rs.getString(1),
        ConfigCodec.basinConfigFromJson(rs.getString(2)),
        instant(rs.getString(3)),
        instant(rs.getString(4)),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7));
  }
}
