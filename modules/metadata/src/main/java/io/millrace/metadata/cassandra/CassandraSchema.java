package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.millrace.metadata.schema.SchemaMigrations;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Cassandra schema: the keyspace, its {@code schema_version} table, and versioned CQL resource
 * files {@code V<n>__<name>.cql} next to this class, applied statement by statement (Cassandra DDL
 * is not transactional, so every statement is idempotent) and then recorded.
 */
final class CassandraSchema {
  private CassandraSchema() {}

  /** Schema migrations in order; version n is the n-th entry. Never edit a released one. */
  static final SchemaMigrations MIGRATIONS =
      new SchemaMigrations(
          CassandraSchema.class,
          List.of(
              "V1__schema.cql",
              "V2__streamlet_latest_epoch.cql",
              "V3__channel_collected_through.cql",
              "V4__access_tokens.cql",
              "V5__locations.cql"));

  /** Timeout of each schema statement (schema agreement can take a while on a cluster). */
  static final Duration SCHEMA_TIMEOUT = Duration.ofSeconds(60);

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);

  /** Creates the keyspace and {@code schema_version}, then applies the missing files. */
  static CompletionStage<Integer> migrate(CqlSession session, CassandraSettings s) {
    String ks = s.keyspace();
    return ddl(
            session,
            "CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + s.replication())
        .thenCompose(
            v ->
                ddl(
                    session,
                    "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".schema_version (version int PRIMARY KEY, name text,"
                        + " applied_at timestamp)"))
        .thenCompose(
            v ->
                session.executeAsync(
                    SimpleStatement.newInstance("SELECT version FROM " + ks + ".schema_version")))
        .thenCompose(Cql::allRows)
        .thenCompose(
            rows -> {
              int current = rows.stream().mapToInt(r -> r.getInt("version")).max().orElse(0);
              MIGRATIONS.requireSupported(current, "the Cassandra keyspace " + ks);
              CompletionStage<Integer> chain = CompletableFuture.completedFuture(0);
              for (int version = current + 1; version <= MIGRATIONS.latest(); version++) {
                int v = version;
                chain = chain.thenCompose(n -> applyFile(session, ks, v).thenApply(x -> n + 1));
              }
              return chain;
            })
        .whenComplete(
            (n, t) -> {
              if (t == null && n > 0) {
                log.info(
                    "Cassandra metadata schema of keyspace {} brought to version {} ({} files"
                        + " applied).",
                    ks,
                    MIGRATIONS.latest(),
                    n);
              }
            });
  }

  private static CompletionStage<Void> applyFile(CqlSession session, String ks, int version) {
    List<String> statements = MIGRATIONS.statements(version, Map.of("keyspace", ks));
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (String cql : statements) {
      chain = chain.thenCompose(v -> ddl(session, cql));
    }
    return chain.thenCompose(
        v ->
            session
                .executeAsync(
                    SimpleStatement.newInstance(
                            "INSERT INTO "
                                + ks
                                + ".schema_version (version, name, applied_at)"
                                + " VALUES (?, ?, toTimestamp(now())) IF NOT EXISTS",
                            version,
                            MIGRATIONS.name(version))
                        .setTimeout(SCHEMA_TIMEOUT))
                .thenApply(rs -> (Void) null));
  }

  private static CompletionStage<Void> ddl(CqlSession session, String cql) {
    return session
        .executeAsync(SimpleStatement.newInstance(cql).setTimeout(SCHEMA_TIMEOUT))
        .thenApply(rs -> (Void) null);
  }
}
