package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.AccessTokenCodec;
import io.millrace.metadata.AccessTokenRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code access_tokens}, one partition per account (the single implicit account): created
 * {@code IF NOT EXISTS}, deleted {@code IF EXISTS} (lightweight transactions), listed by id.
 */
final class CassandraAccessTokens extends CassandraTable implements MetadataTables.AccessTokens {

  private static final String INSERT =
      "INSERT INTO ${keyspace}.access_tokens (account, id, secret_hash, info, expires_at,"
          + " created_at) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS";
  private static final String GET =
      "SELECT * FROM ${keyspace}.access_tokens WHERE account = ? AND id = ?";
  private static final String DELETE =
      "DELETE FROM ${keyspace}.access_tokens WHERE account = ? AND id = ? IF EXISTS";
  private static final String LIST_WHERE = "access_tokens WHERE account = ?";

  /** The templates to prepare. */
  static final List<String> CQL = templates();

  private final NameListing listing;

  CassandraAccessTokens(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
    this.listing = new NameListing(prepared, LIST_WHERE, "id");
  }

  private static List<String> templates() {
    List<String> all = new ArrayList<>(List.of(INSERT, GET, DELETE));
    all.addAll(NameListing.cql(LIST_WHERE, "id"));
    return List.copyOf(all);
  }

  @Override
  public CompletionStage<CreateResult<AccessTokenRecord>> create(AccessTokenRecord t) {
    return cas.create(
        () ->
            statement(INSERT)
                .bind(
                    CassandraBasins.ACCOUNT,
                    t.id(),
                    t.secretHash(),
                    AccessTokenCodec.toJson(t.info()),
                    t.info().expiresAt(),
                    t.createdAt()),
        t,
        CassandraAccessTokens::row);
  }

  @Override
  public CompletionStage<Optional<AccessTokenRecord>> get(String id) {
    return cql.one(statement(GET).bind(CassandraBasins.ACCOUNT, id), CassandraAccessTokens::row);
  }

  @Override
  public CompletionStage<List<AccessTokenRecord>> list(
      String prefix, String startAfter, int limit) {
    return listing.list(
        cql,
        List.of(CassandraBasins.ACCOUNT),
        prefix,
        startAfter,
        limit,
        CassandraAccessTokens::row,
        AccessTokenRecord::id);
  }

  @Override
  public CompletionStage<Boolean> delete(String id) {
    return cql.mapped(
        cas.attempt(
            () -> statement(DELETE).bind(CassandraBasins.ACCOUNT, id),
            rs -> CompletableFuture.completedFuture(rs.wasApplied()),
            null));
  }

  private static AccessTokenRecord row(Row r) {
    String id = r.getString("id");
    return new AccessTokenRecord(
        id,
        r.getString("secret_hash"),
        AccessTokenCodec.fromJson(id, r.getInstant("expires_at"), r.getString("info")),
        r.getInstant("created_at"));
  }
}
