package io.millrace.metadata.sqlite;

import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.ConfigCodec;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 * <p>This class opens the database and delegates each table to its own class ({@link SqliteBasins},
 * {@link SqliteStreams}, {@link SqliteStreamState}, {@link SqliteStreamlets}, {@link
 * SqliteSegments}, {@link SqliteChannels}).
 */
public final class SqliteMetadataStore implements MetadataStore {

  private static final Logger log = LoggerFactory.getLogger(SqliteMetadataStore.class);
  private static final AtomicInteger STORE_IDS = new AtomicInteger();

  private final SqliteExecutor db;
  private final SqliteBasins basins;
  private final SqliteStreams streams;
  private final SqliteStreamState streamState;
  private final SqliteStreamlets streamlets;
  private final SqliteSegments segments;
  private final SqliteChannels channels;

  private SqliteMetadataStore(SqliteExecutor db) {
    this.db = db;
    this.basins = new SqliteBasins(db);
    this.streams = new SqliteStreams(db);
    this.streamState = new SqliteStreamState(db);
    this.streamlets = new SqliteStreamlets(db);
    this.segments = new SqliteSegments(db);
    this.channels = new SqliteChannels(db);
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

  // ---------------------------------------------------------------- basins

  @Override
  public CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord basin) {
    return basins.create(basin);
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> getBasin(String name) {
    return basins.get(name);
  }

  @Override
  public CompletionStage<List<BasinRecord>> listBasins(
      String prefix, String startAfter, int limit) {
    return basins.list(prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> updateBasin(BasinRecord basin, long expectedVersion) {
    return basins.update(basin, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> deleteBasin(String name, long expectedVersion) {
    return basins.delete(name, expectedVersion);
  }

  // ---------------------------------------------------------------- streams

  @Override
  public CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord stream) {
    return streams.create(stream);
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> getStream(String basin, String name) {
    return streams.get(basin, name);
  }

  @Override
  public CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit) {
    return streams.list(basin, prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> updateStream(StreamRecord stream, long expectedVersion) {
    return streams.update(stream, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> deleteStream(String basin, String name, long expectedVersion) {
    return streams.delete(basin, name, expectedVersion);
  }

  // ---------------------------------------------------------------- stream state

  @Override
  public CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId) {
    return streamState.get(streamId);
  }

  @Override
  public CompletionStage<Boolean> putStreamState(StreamStateRecord state) {
    return streamState.put(state);
  }

  @Override
  public CompletionStage<Void> deleteStreamState(String streamId) {
    return streamState.delete(streamId);
  }

  // ---------------------------------------------------------------- streamlets

  @Override
  public CompletionStage<Boolean> createStreamlet(StreamletRecord streamlet) {
    return streamlets.create(streamlet);
  }

  @Override
  public CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return streamlets.seal(streamId, epoch, sealedNextSeqNum, lastChunkSeq);
  }

  @Override
  public CompletionStage<List<StreamletRecord>> listStreamlets(String streamId) {
    return streamlets.list(streamId);
  }

  @Override
  public CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch) {
    return streamlets.deleteBelow(streamId, belowEpoch);
  }

  // ---------------------------------------------------------------- segments

  @Override
  public CompletionStage<Boolean> addSegment(SegmentRecord segment) {
    return segments.add(segment);
  }

  @Override
  public CompletionStage<List<SegmentRecord>> listSegments(String streamId) {
    return segments.list(streamId);
  }

  @Override
  public CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum) {
    return segments.delete(streamId, firstSeqNum);
  }

  // ---------------------------------------------------------------- channels

  @Override
  public CompletionStage<Void> putChannel(ChannelRecord channel) {
    return channels.put(channel);
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> getChannel(String channelId) {
    return channels.get(channelId);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> listChannels() {
    return channels.list();
  }

  @Override
  public CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq) {
    return channels.seal(channelId, sealChunkSeq);
  }

  @Override
  public CompletionStage<Void> deleteChannel(String channelId) {
    return channels.delete(channelId);
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
