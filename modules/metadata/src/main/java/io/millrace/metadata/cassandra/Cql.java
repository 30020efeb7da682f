package io.millrace.metadata.cassandra;

import static io.millrace.core.Failures.unwrap;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.MetadataStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The store's session and how every table runs statements on it: asynchronously, every failure
 * (also one building the statement, or mapping a row) mapped to {@link MetadataStoreException}
 * naming the keyspace and contact points. Stages complete on driver threads.
 */
final class Cql {

  private final CassandraSettings settings;
  private final CqlSession session;
  private final ConsistencyLevel serial;
  private volatile boolean closed;

  Cql(CassandraSettings settings, CqlSession session) {
    this.settings = settings;
    this.session = session;
    this.serial = DefaultConsistencyLevel.valueOf(settings.serialConsistency());
  }

  CqlSession session() {
    return session;
  }

  CassandraSettings settings() {
    return settings;
  }

  boolean closed() {
    return closed;
  }

  /** Later statements fail without reaching the session. */
  void markClosed() {
    closed = true;
  }

  /** The statement, read at the serial consistency (sees the outcome of unconfirmed LWTs). */
  BoundStatement atSerial(BoundStatement statement) {
    return statement.setConsistencyLevel(serial);
  }

  /** Runs a statement; a failure building it fails the stage (not mapped: see {@link #mapped}). */
  CompletionStage<AsyncResultSet> exec(Supplier<BoundStatement> statement) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new MetadataStoreException(
              "the Cassandra metadata store of keyspace " + settings.keyspace() + " is closed",
              null));
    }
    try {
      return session.executeAsync(statement.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Wraps the stage's failure in MetadataStoreException. */
  <T> CompletionStage<T> mapped(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete(
        (v, t) -> {
          if (t == null) {
            out.complete(v);
          } else {
            out.completeExceptionally(storeFailure("Cassandra metadata call failed", settings, t));
          }
        });
    return out;
  }

  /** A plain (idempotent) write. */
  CompletionStage<Void> write(Supplier<BoundStatement> statement) {
    return mapped(exec(statement).thenApply(rs -> (Void) null));
  }

  /** The first row, mapped, or empty. */
  <T> CompletionStage<Optional<T>> one(BoundStatement statement, Function<Row, T> map) {
    return mapped(
        exec(() -> statement)
            .thenApply(
                rs -> {
                  Row row = rs.one();
                  return row == null ? Optional.<T>empty() : Optional.of(map.apply(row));
                }));
  }

  /** Every row (all pages), mapped. */
  <T> CompletionStage<List<T>> all(BoundStatement statement, Function<Row, T> map) {
    return mapped(
        exec(() -> statement)
            .thenCompose(Cql::allRows)
            .thenApply(rows -> rows.stream().map(map).toList()));
  }

  /** Every row of a result, fetching further pages asynchronously. */
  static CompletionStage<List<Row>> allRows(AsyncResultSet first) {
    return collect(first, new ArrayList<>());
  }

  private static CompletionStage<List<Row>> collect(AsyncResultSet rs, List<Row> rows) {
    for (Row r : rs.currentPage()) {
      rows.add(r);
    }
    if (rs.hasMorePages()) {
      return rs.fetchNextPage().thenCompose(next -> collect(next, rows));
    }
    return CompletableFuture.completedFuture(rows);
  }

  /** A nullable bigint column. */
  static Long nullableLong(Row r, String column) {
    return r.isNull(column) ? null : r.getLong(column);
  }

  /** A column of a refused transaction's result row: null if absent from the row, or null. */
  static Long resultLong(Row r, String column) {
    if (r == null || !r.getColumnDefinitions().contains(column)) {
      return null;
    }
    return nullableLong(r, column);
  }

  /** The failure as MetadataStoreException (itself if it is one), naming keyspace and nodes. */
  static MetadataStoreException storeFailure(String what, CassandraSettings settings, Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof MetadataStoreException m) {
      return m;
    }
    return new MetadataStoreException(
        what
            + " (keyspace "
            + settings.keyspace()
            + " at "
            + settings.contactPointsText()
            + "): "
            + e,
        e);
  }
}
