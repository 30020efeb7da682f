package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The store's prepared statements, looked up by their CQL template: each table class names its
 * statements as constants ({@code ${keyspace}} stands for the keyspace), lists them for {@link
 * #prepare}, and takes its {@link PreparedStatement}s from the result by the same constants.
 */
final class Prepared {

  private final Map<String, PreparedStatement> byTemplate;

  private Prepared(Map<String, PreparedStatement> byTemplate) {
    this.byTemplate = byTemplate;
  }

  /** Prepares every template (concurrently) in the keyspace. */
  static CompletionStage<Prepared> prepare(
      CqlSession session, String keyspace, Collection<String> templates) {
    Map<String, CompletableFuture<PreparedStatement>> futures = new LinkedHashMap<>();
    for (String template : templates) {
      futures.computeIfAbsent(
          template,
          t -> session.prepareAsync(t.replace("${keyspace}", keyspace)).toCompletableFuture());
    }
    return CompletableFuture.allOf(futures.values().toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              Map<String, PreparedStatement> out = new LinkedHashMap<>();
              futures.forEach((template, f) -> out.put(template, f.join()));
              return new Prepared(out);
            });
  }

  /** The prepared statement of a template given to {@link #prepare}. */
  PreparedStatement get(String template) {
    PreparedStatement ps = byTemplate.get(template);
    if (ps == null) {
      throw new IllegalStateException("statement was not prepared: " + template);
    }
    return ps;
  }
}
