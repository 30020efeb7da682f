package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataStoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one connection and the one thread that uses it. Every call is queued to the thread
 * and returns a stage completed there (never on the caller's thread); writes run in a transaction
 * ({@code BEGIN IMMEDIATE}, the connection's transaction mode). An {@link SQLException} or {@link
 * IllegalArgumentException} (an unreadable stored value) completes the stage with {@link
 * MetadataStoreException}.
 */
final class SqliteExecutor {

  private static final Logger log = LoggerFactory.getLogger(SqliteMetadataStore.class);

  /** Work on the connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final String description;
  private final ExecutorService thread;
  private final Connection conn;

  SqliteExecutor(String description, ExecutorService thread, Connection conn) {
    this.description = description;
    this.thread = thread;
    this.conn = conn;
  }

  /** Runs {@code work} outside a transaction. */
  <T> CompletionStage<T> read(String what, Work<T> work) {
    return submit(what, () -> work.run(conn));
  }

  /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
  <T> CompletionStage<T> write(String what, Work<T> work) {
    return submit(
        what,
        () -> {
          conn.setAutoCommit(false);
          try {
            T result = work.run(conn);
            conn.commit();
            return result;
          } catch (SQLException | RuntimeException e) {
            try {
              conn.rollback();
            } catch (SQLException r) {
              e.addSuppressed(r);
            }
            throw e;
          } finally {
            conn.setAutoCommit(true);
          }
        });
  }

  /** Every row of a query with {@code values} bound, mapped, in result order. */
  <T> CompletionStage<List<T>> list(
      String what, String sql, Sql.RowMapper<T> map, Object... values) {
    return read(what, c -> Sql.list(c, sql, map, values));
  }

  /** The first row of a query with {@code values} bound, mapped, or empty. */
  <T> CompletionStage<Optional<T>> one(
      String what, String sql, Sql.RowMapper<T> map, Object... values) {
    return read(what, c -> Sql.one(c, sql, map, values));
  }

  /** One write statement in its own transaction; true if it changed exactly one row. */
  CompletionStage<Boolean> updateOne(String what, String sql, Object... values) {
    return write(what, c -> Sql.update(c, sql, values) == 1);
  }

  /** One write statement in its own transaction, whatever the rows it changed. */
  CompletionStage<Void> execute(String what, String sql, Object... values) {
    return write(what, c -> Sql.execute(c, sql, values));
  }

  @FunctionalInterface
  private interface SqlCall<T> {
    T call() throws SQLException;
  }

  private <T> CompletionStage<T> submit(String what, SqlCall<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      thread.execute(
          () -> {
            try {
              result.complete(call.call());
            } catch (SQLException | IllegalArgumentException e) {
              result.completeExceptionally(
                  new MetadataStoreException(
                      what + " failed in SQLite metadata store " + description + ": " + e, e));
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new MetadataStoreException("SQLite metadata store " + description + " is closed", e));
    }
    return result;
  }

  /** Finishes the queued calls, closes the connection and stops the thread; later calls fail. */
  void close() {
    if (thread.isShutdown()) {
      return;
    }
    try {
      thread
          .submit(
              () -> {
                conn.close();
                return null;
              })
          .get(30, TimeUnit.SECONDS);
      log.info("SQLite metadata store {} closed.", description);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      log.warn("SQLite metadata store {} did not close cleanly: {}", description, e.toString());
    } finally {
      thread.shutdown();
    }
  }
}
