package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.util.List;

/**
 * What a table class runs its statements with: the session ({@link Cql}), the lightweight
 * transaction loops ({@link CasRetry}) and its prepared statements, looked up by the same template
 * constants it lists for {@link Prepared#prepare}. Every listed template must have been prepared
 * (checked when the table is built).
 */
abstract class CassandraTable {

  final Cql cql;
  final CasRetry cas;
  private final Prepared prepared;

  CassandraTable(Cql cql, CasRetry cas, Prepared prepared, List<String> templates) {
    this.cql = cql;
    this.cas = cas;
    this.prepared = prepared;
    templates.forEach(prepared::get);
  }

  /** The prepared statement of one of this table's templates. */
  final PreparedStatement statement(String template) {
    return prepared.get(template);
  }
}
