package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataStoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one connection and the one thread that uses it. Every call is queued to the thread
 * and returns a stage completed there (never on the caller's thread). An {@link SQLException} or
 * {@link IllegalArgumentException} (an unreadable stored value) completes the stage with {@link
 * MetadataStoreException}.
 *
 * <p>Writes are group-committed: the writes queued when the thread gets to them (at most {@link
 * #MAX_GROUP}) run one after another in one transaction ({@code BEGIN IMMEDIATE}, the connection's
 * transaction mode), each inside its own savepoint, and are committed together with one {@code
 * COMMIT} (one fsync of the WAL file with {@code synchronous=FULL}). A write whose work throws is
 * rolled back to its savepoint and fails alone; the others of the group are unaffected. No write's
 * stage completes before the commit that made it durable; if that commit fails, every write of the
 * group fails. A write queued before a read is submitted is visible to that read.
 */
final class SqliteExecutor {

  private static final Logger log = LoggerFactory.getLogger(SqliteMetadataStore.class);

  /** Most writes committed in one transaction. */
  static final int MAX_GROUP = 256;

  /** Work on the connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final String description;
  private final ExecutorService thread;
  private final Connection conn;
  private final Queue<PendingWrite<?>> writes = new ConcurrentLinkedQueue<>();

  SqliteExecutor(String description, ExecutorService thread, Connection conn) {
    this.description = description;
    this.thread = thread;
    this.conn = conn;
  }

  /** Runs {@code work} outside a transaction. */
  <T> CompletionStage<T> read(String what, Work<T> work) {
    return submit(what, () -> work.run(conn));
  }

  /**
   * Runs {@code work} in a transaction (shared with the other writes queued at the time): its
   * changes are committed if it returns, rolled back if it throws; the stage completes once the
   * commit is durable.
   */
  <T> CompletionStage<T> write(String what, Work<T> work) {
    PendingWrite<T> w = new PendingWrite<>(what, work, new CompletableFuture<>());
    writes.add(w);
    try {
      thread.execute(this::commitGroup);
    } catch (RejectedExecutionException e) {
      if (writes.remove(w)) {
        w.result.completeExceptionally(closed(e));
      }
    }
    return w.result;
  }

  /** Runs the queued writes (up to {@link #MAX_GROUP}) in one transaction; on the thread. */
  private void commitGroup() {
    List<PendingWrite<?>> group = new ArrayList<>();
    for (PendingWrite<?> w; group.size() < MAX_GROUP && (w = writes.poll()) != null; ) {
      group.add(w);
    }
    if (group.isEmpty()) {
      return; // an earlier group took them
    }
    List<Runnable> outcomes = new ArrayList<>(group.size());
    try {
      conn.setAutoCommit(false);
      try {
        for (PendingWrite<?> w : group) {
          outcomes.add(w.runInSavepoint(conn, description));
        }
        conn.commit();
      } catch (Throwable e) {
        // Roll back before the finally below turns autocommit on (which would commit).
        try {
          conn.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    } catch (Throwable e) {
      // Every stage of the group fails, whatever was thrown: none of it was committed, and a
      // caller must not wait for an answer that will never come (an Error is rethrown after).
      for (PendingWrite<?> w : group) {
        w.result.completeExceptionally(w.failure(e, description));
      }
      if (e instanceof Error error) {
        throw error;
      }
      return;
    }
    outcomes.forEach(Runnable::run);
  }

  /** A queued write and the stage its caller holds. */
  private record PendingWrite<T>(String what, Work<T> work, CompletableFuture<T> result) {

    /**
     * Runs the work in a savepoint of the open transaction; returns what completes the stage once
     * the transaction is committed. Throws only if the transaction itself is broken (the savepoint
     * cannot be rolled back to), which fails the whole group.
     */
    Runnable runInSavepoint(Connection c, String description) throws SQLException {
      Savepoint savepoint = c.setSavepoint();
      T value;
      try {
        value = work.run(c);
      } catch (SQLException | RuntimeException e) {
        c.rollback(savepoint);
        c.releaseSavepoint(savepoint);
        Throwable failure = failure(e, description);
        return () -> result.completeExceptionally(failure);
      }
      c.releaseSavepoint(savepoint);
      return () -> result.complete(value);
    }

    Throwable failure(Throwable e, String description) {
      return e instanceof SQLException || e instanceof IllegalArgumentException
          ? new MetadataStoreException(
              what + " failed in SQLite metadata store " + description + ": " + e, e)
          : e;
    }
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
      result.completeExceptionally(closed(e));
    }
    return result;
  }

  private MetadataStoreException closed(RejectedExecutionException e) {
    return new MetadataStoreException("SQLite metadata store " + description + " is closed", e);
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
