package io.millrace.metadata.sqlite;

import static io.millrace.metadata.sqlite.Sql.instant;
import static io.millrace.metadata.sqlite.Sql.text;

import io.millrace.metadata.AccessTokenCodec;
import io.millrace.metadata.AccessTokenRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Table {@code access_tokens} (docs/metadata.md): insert if absent, read, list, delete. */
record SqliteAccessTokens(SqliteExecutor db) implements MetadataTables.AccessTokens {

  private static final String COLUMNS = "id, secret_hash, info, expires_at, created_at";
  private static final String INSERT =
      "INSERT INTO access_tokens("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING";
  private static final String GET = "SELECT " + COLUMNS + " FROM access_tokens WHERE id = ?";
  private static final String LIST =
      "SELECT " + COLUMNS + " FROM access_tokens WHERE %s ORDER BY id LIMIT ?";
  private static final String DELETE = "DELETE FROM access_tokens WHERE id = ?";

  @Override
  public CompletionStage<CreateResult<AccessTokenRecord>> create(AccessTokenRecord t) {
    Objects.requireNonNull(t, "token");
    return db.write(
        "create access token " + t.id(),
        c -> {
          int n =
              Sql.update(
                  c,
                  INSERT,
                  t.id(),
                  t.secretHash(),
                  AccessTokenCodec.toJson(t.info()),
                  text(t.info().expiresAt()),
                  text(t.createdAt()));
          if (n == 1) {
            return new CreateResult.Created<>(t);
          }
          return new CreateResult.AlreadyExists<>(
              Sql.one(c, GET, SqliteAccessTokens::row, t.id()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<AccessTokenRecord>> get(String id) {
    return db.one("get access token", GET, SqliteAccessTokens::row, id);
  }

  @Override
  public CompletionStage<List<AccessTokenRecord>> list(
      String prefix, String startAfter, int limit) {
    Sql.requireLimit(limit);
    Sql.NameRange r = new Sql.NameRange("id", prefix, startAfter);
    return db.list(
        "list access tokens",
        LIST.formatted(r.sql()),
        SqliteAccessTokens::row,
        r.values(List.of(), limit));
  }

  @Override
  public CompletionStage<Boolean> delete(String id) {
    return db.write("delete access token " + id, c -> Sql.update(c, DELETE, id) == 1);
  }

  private static AccessTokenRecord row(ResultSet rs) throws SQLException {
    String id = rs.getString(1);
    return new AccessTokenRecord(
        id,
        rs.getString(2),
        AccessTokenCodec.fromJson(id, instant(rs.getString(4)), rs.getString(3)),
        instant(rs.getString(5)));
  }
}
