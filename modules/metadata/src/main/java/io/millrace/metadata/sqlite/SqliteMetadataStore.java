package io.millrace.metadata.sqlite;

import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.TableMetadataStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded {@link MetadataStore}: one SQLite database file (tables documented in
 * docs/metadata.md). The schema lives in versioned resource files {@code V<n>__<name>.sql} next to
 * this class ({@link SqliteSchema}) and is brought up to date when the store opens; a {@code
 * schema_version} table records what was applied.
 *
 * <p>Durability: the file runs with {@code journal_mode=WAL} and {@code synchronous=FULL}, so a
 * write whose stage has completed survives kill -9 and power loss. Concurrency: one connection,
 * used only by one dedicated thread ({@link SqliteExecutor}); every call is queued to it and
 * returns a stage completed there (never on the caller's thread). Conditional writes run in {@code
 * BEGIN IMMEDIATE} transactions, so even another process on the same file cannot make two of them
 * win. Configs are stored as {@link ConfigCodec} JSON. Every {@link SQLException} (and an
 * unreadable stored value) completes the stage with {@link MetadataStoreException}.
 *
 * <p>Write semantics beyond the port's Javadoc: {@code putChannel} replaces an existing row with
 * the same key; {@code sealChannel} on a missing row changes nothing; deletes of missing rows
 * succeed. The fenced owner writes ({@code putStreamState}, {@code createStreamlet}, {@code
 * sealStreamlet}, {@code addSegment}) read and write in one {@code BEGIN IMMEDIATE} transaction;
 * the highest streamlet epoch ever created per stream is kept in {@code streamlet_epochs}.
 *
 * <p>This class opens the database; {@link TableMetadataStore} delegates each table to its own
 * class ({@link SqliteBasins}, {@link SqliteStreams}, {@link SqliteStreamState}, {@link
 * SqliteStreamlets}, {@link SqliteSegments}, {@link SqliteChannels}, {@link
 * SqliteAccountSettings}).
 */
public final class SqliteMetadataStore extends TableMetadataStore {

  private static final Logger log = LoggerFactory.getLogger(SqliteMetadataStore.class);
  private static final AtomicInteger STORE_IDS = new AtomicInteger();

  private final SqliteExecutor db;

  private SqliteMetadataStore(SqliteExecutor db) {
    super(
        new SqliteBasins(db),
        new SqliteStreams(db),
        new SqliteStreamState(db),
        new SqliteStreamlets(db),
        new SqliteSegments(db),
        new SqliteChannels(db),
        new SqliteAccessTokens(db),
        new SqliteAccountSettings(db));
    this.db = db;
  }

  /**
   * Opens (creating if missing, with its parent directories) the database file and brings its
   * schema up to date.
   *
   * @throws MetadataStoreException if it cannot be opened or its schema is newer than this build
   */
  public static SqliteMetadataStore open(Path dbFile) {
    Objects.requireNonNull(dbFile, "dbFile");
    Path file = dbFile.toAbsolutePath().normalize();
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
    } catch (IOException e) {
      throw new MetadataStoreException("cannot create the directory of " + file, e);
    }
    return start("jdbc:sqlite:" + file, file.toString(), true);
  }

  /** A private in-memory database (lost on close), for tests. */
  public static SqliteMetadataStore inMemory() {
    return start("jdbc:sqlite::memory:", "in-memory", false);
  }

  private static SqliteMetadataStore start(String url, String description, boolean file) {
    int id = STORE_IDS.incrementAndGet();
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "sqlite-metadata-" + id);
              t.setDaemon(true);
              return t;
            });
    try {
      Connection conn =
          thread
              .submit(
                  () -> {
                    Connection c = connect(url);
                    try {
                      int applied = SqliteSchema.migrate(c);
                      log.info(
                          "SQLite metadata store {} opened (journal mode {}, schema version {}, {}"
                              + " migrations applied now).",
                          description,
                          pragma(c, "journal_mode"),
                          SqliteSchema.MIGRATIONS.latest(),
                          applied);
                      if (file && !"wal".equalsIgnoreCase(pragma(c, "journal_mode"))) {
                        throw new SQLException("journal_mode=WAL could not be enabled");
                      }
                      return c;
                    } catch (Exception e) {
                      c.close();
                      throw e;
                    }
                  })
              .get(60, TimeUnit.SECONDS);
      return new SqliteMetadataStore(new SqliteExecutor(description, thread, conn));
    } catch (ExecutionException e) {
      thread.shutdownNow();
      Throwable cause = e.getCause();
      if (cause instanceof MetadataStoreException m) {
        throw m;
      }
      throw new MetadataStoreException(
          "cannot open SQLite metadata store " + description + ": " + cause, cause);
    } catch (InterruptedException | TimeoutException e) {
      thread.shutdownNow();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new MetadataStoreException("cannot open SQLite metadata store " + description, e);
    }
  }

  private static Connection connect(String url) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    config.setBusyTimeout(10_000);
    return config.createConnection(url);
  }

  private static String pragma(Connection c, String name) throws SQLException {
    return Sql.one(c, "PRAGMA " + name, rs -> rs.getString(1)).orElse(null);
  }

  /** The value of a pragma on the store's connection (for tests and diagnostics). */
  CompletionStage<String> pragma(String name) {
    if (!name.matches("[a-z_]+")) {
      throw new IllegalArgumentException("not a pragma name: " + name);
    }
    return db.read("pragma " + name, c -> pragma(c, name));
  }

  // ---------------------------------------------------------------- health, close

  /** True once a trivial query answers; false if it fails or the store is closed. */
  @Override
  public CompletionStage<Boolean> healthy() {
    return db.read("health check", c -> Sql.one(c, "SELECT 1", rs -> rs.getInt(1) == 1))
        .thenApply(one -> one.orElse(false))
        .exceptionally(e -> false);
  }

  /** Finishes the queued calls, closes the connection and stops the thread; later calls fail. */
  @Override
  public void close() {
    db.close();
  }
}
