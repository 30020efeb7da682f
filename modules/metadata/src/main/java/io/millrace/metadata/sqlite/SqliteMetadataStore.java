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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded {@link MetadataStore}: one SQLite database file (tables documented in
 * docs/metadata.md). The schema lives in versioned resource files {@code V<n>__<name>.sql} next to
 * this class and is brought up to date when the store opens; a {@code schema_version} table records
 * what was applied.
 *
 * <p>Durability: the file runs with {@code journal_mode=WAL} and {@code synchronous=FULL}, so a
 * write whose stage has completed survives kill -9 and power loss. Concurrency: one connection,
 * used only by one dedicated thread; every call is queued to it and returns a stage completed there
 * (never on the caller's thread). Conditional writes run in {@code BEGIN IMMEDIATE} transactions,
 * so even another process on the same file cannot make two of them win. Configs are stored as
 * {@link ConfigCodec} JSON. Every {@link SQLException} (and an unreadable stored value) completes
 * the stage with {@link MetadataStoreException}.
 *
 * <p>Write semantics beyond the port's Javadoc: {@code putChannel} replaces an existing row with
 * the same key; {@code sealChannel} on a missing row changes nothing; deletes of missing rows
 * succeed. The fenced owner writes ({@code putStreamState}, {@code createStreamlet}, {@code
 * sealStreamlet}, {@code addSegment}) read and write in one {@code BEGIN IMMEDIATE} transaction;
 * the highest streamlet epoch ever created per stream is kept in {@code streamlet_epochs}.
 */
public final class SqliteMetadataStore implements MetadataStore {

  /** Schema migrations in order; version n is the n-th entry. Never edit a released one. */
  static final List<String> MIGRATIONS = List.of("V1__schema.sql", "V2__streamlet_epochs.sql");

  private static final Logger log = LoggerFactory.getLogger(SqliteMetadataStore.class);
  private static final AtomicInteger STORE_IDS = new AtomicInteger();

  private final String description;
  private final ExecutorService thread;
  private final Connection conn;

  private SqliteMetadataStore(String description, ExecutorService thread, Connection conn) {
    this.description = description;
    this.thread = thread;
    this.conn = conn;
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
                      int applied = migrate(c);
                      log.info(
                          "SQLite metadata store {} opened (journal mode {}, schema version {}, {}"
                              + " migrations applied now).",
                          description,
                          pragma(c, "journal_mode"),
                          MIGRATIONS.size(),
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
      return new SqliteMetadataStore(description, thread, conn);
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

  /** Applies the migrations not yet recorded in {@code schema_version}; returns how many. */
  private static int migrate(Connection c) throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS schema_version ("
              + "version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL,"
              + " applied_at TEXT NOT NULL)");
    }
    int applied = 0;
    for (int v = 1; v <= MIGRATIONS.size(); v++) {
      c.setAutoCommit(false);
      try {
        int current = currentSchemaVersion(c);
        if (current > MIGRATIONS.size()) {
          throw new MetadataStoreException(
              "the metadata database has schema version "
                  + current
                  + ", newer than this build supports ("
                  + MIGRATIONS.size()
                  + ")",
              null);
        }
        if (current < v) {
          String name = MIGRATIONS.get(v - 1);
          try (Statement s = c.createStatement()) {
            for (String sql : statements(name)) {
              s.executeUpdate(sql);
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)")) {
            ps.setInt(1, v);
            ps.setString(2, name);
            ps.setString(3, Instant.now().toString());
            ps.executeUpdate();
          }
          applied++;
        }
        c.commit();
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
    return applied;
  }

  private static int currentSchemaVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The statements of a migration resource: comment lines dropped, split at ';'. */
  static List<String> statements(String resource) throws IOException {
    String text;
    try (InputStream in = SqliteMetadataStore.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("schema resource missing: " + resource);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    StringBuilder sb = new StringBuilder();
    for (String line : text.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sb.append(line).append('\n');
      }
    }
    List<String> out = new ArrayList<>();
    for (String stmt : sb.toString().split(";")) {
      if (!stmt.isBlank()) {
        out.add(stmt.strip());
      }
    }
    return out;
  }

  private static String pragma(Connection c, String name) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA " + name)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** The value of a pragma on the store's connection (for tests and diagnostics). */
  CompletionStage<String> pragma(String name) {
    if (!name.matches("[a-z_]+")) {
      throw new IllegalArgumentException("not a pragma name: " + name);
    }
    return read("pragma " + name, c -> pragma(c, name));
  }

  // ---------------------------------------------------------------- basins

  private static final String BASIN_COLUMNS =
      "name, config, created_at, deleted_at, create_token, version";

  @Override
  public CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord basin) {
    Objects.requireNonNull(basin, "basin");
    return write(
        "create basin " + basin.name(),
        c -> {
          int n;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO basins("
                      + BASIN_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING")) {
            bindBasin(ps, basin);
            n = ps.executeUpdate();
          }
          if (n == 1) {
            return new CreateResult.Created<>(basin);
          }
          return new CreateResult.AlreadyExists<>(selectBasin(c, basin.name()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> getBasin(String name) {
    return read("get basin " + name, c -> selectBasin(c, name));
  }

  @Override
  public CompletionStage<List<BasinRecord>> listBasins(
      String prefix, String startAfter, int limit) {
    requireLimit(limit);
    return read(
        "list basins",
        c -> {
          Range r = new Range("name", prefix, startAfter);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + BASIN_COLUMNS
                      + " FROM basins WHERE "
                      + r.sql()
                      + " ORDER BY name LIMIT ?")) {
            int i = r.bind(ps, 1);
            ps.setInt(i, limit);
            List<BasinRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(basinRow(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public CompletionStage<Boolean> updateBasin(BasinRecord basin, long expectedVersion) {
    Objects.requireNonNull(basin, "basin");
    return write(
        "update basin " + basin.name(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE basins SET config = ?, created_at = ?, deleted_at = ?, create_token = ?,"
                      + " version = ? WHERE name = ? AND version = ?")) {
            ps.setString(1, ConfigCodec.toJson(basin.config()));
            ps.setString(2, instant(basin.createdAt()));
            ps.setString(3, instant(basin.deletedAt()));
            ps.setString(4, basin.createToken());
            ps.setLong(5, basin.version());
            ps.setString(6, basin.name());
            ps.setLong(7, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public CompletionStage<Boolean> deleteBasin(String name, long expectedVersion) {
    return write(
        "delete basin " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM basins WHERE name = ? AND version = ?")) {
            ps.setString(1, name);
            ps.setLong(2, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  private static void bindBasin(PreparedStatement ps, BasinRecord b) throws SQLException {
    ps.setString(1, b.name());
    ps.setString(2, ConfigCodec.toJson(b.config()));
    ps.setString(3, instant(b.createdAt()));
    ps.setString(4, instant(b.deletedAt()));
    ps.setString(5, b.createToken());
    ps.setLong(6, b.version());
  }

  private static Optional<BasinRecord> selectBasin(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + BASIN_COLUMNS + " FROM basins WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(basinRow(rs)) : Optional.empty();
      }
    }
  }

  private static BasinRecord basinRow(ResultSet rs) throws SQLException {
    return new BasinRecord(
        rs.getString(1),
        ConfigCodec.basinConfigFromJson(rs.getString(2)),
        toInstant(rs.getString(3)),
        toInstant(rs.getString(4)),
        rs.getString(5),
        rs.getLong(6));
  }

  // ---------------------------------------------------------------- streams

  private static final String STREAM_COLUMNS =
      "basin, name, stream_id, config, created_at, deleted_at, create_token, cipher, version";

  @Override
  public CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord stream) {
    Objects.requireNonNull(stream, "stream");
    return write(
        "create stream " + stream.basin() + "/" + stream.name(),
        c -> {
          int n;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO streams("
                      + STREAM_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(basin, name) DO NOTHING")) {
            ps.setString(1, stream.basin());
            ps.setString(2, stream.name());
            bindStreamValues(ps, 3, stream);
            n = ps.executeUpdate();
          }
          if (n == 1) {
            return new CreateResult.Created<>(stream);
          }
          return new CreateResult.AlreadyExists<>(
              selectStream(c, stream.basin(), stream.name()).orElseThrow());
        });
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> getStream(String basin, String name) {
    return read("get stream " + basin + "/" + name, c -> selectStream(c, basin, name));
  }

  @Override
  public CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit) {
    requireLimit(limit);
    return read(
        "list streams of " + basin,
        c -> {
          Range r = new Range("name", prefix, startAfter);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + STREAM_COLUMNS
                      + " FROM streams WHERE basin = ? AND "
                      + r.sql()
                      + " ORDER BY name LIMIT ?")) {
            ps.setString(1, basin);
            int i = r.bind(ps, 2);
            ps.setInt(i, limit);
            List<StreamRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(streamRow(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public CompletionStage<Boolean> updateStream(StreamRecord stream, long expectedVersion) {
    Objects.requireNonNull(stream, "stream");
    return write(
        "update stream " + stream.basin() + "/" + stream.name(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE streams SET stream_id = ?, config = ?, created_at = ?, deleted_at = ?,"
                      + " create_token = ?, cipher = ?, version = ?"
                      + " WHERE basin = ? AND name = ? AND version = ?")) {
            int i = bindStreamValues(ps, 1, stream);
            ps.setString(i++, stream.basin());
            ps.setString(i++, stream.name());
            ps.setLong(i, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public CompletionStage<Boolean> deleteStream(String basin, String name, long expectedVersion) {
    return write(
        "delete stream " + basin + "/" + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM streams WHERE basin = ? AND name = ? AND version = ?")) {
            ps.setString(1, basin);
            ps.setString(2, name);
            ps.setLong(3, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** Binds stream_id .. version from {@code i}; returns the next index. */
  private static int bindStreamValues(PreparedStatement ps, int i, StreamRecord s)
      throws SQLException {
    ps.setString(i++, s.streamId());
    ps.setString(i++, ConfigCodec.toJson(s.config()));
    ps.setString(i++, instant(s.createdAt()));
    ps.setString(i++, instant(s.deletedAt()));
    ps.setString(i++, s.createToken());
    ps.setString(i++, s.cipher());
    ps.setLong(i++, s.version());
    return i;
  }

  private static Optional<StreamRecord> selectStream(Connection c, String basin, String name)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + STREAM_COLUMNS + " FROM streams WHERE basin = ? AND name = ?")) {
      ps.setString(1, basin);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(streamRow(rs)) : Optional.empty();
      }
    }
  }

  private static StreamRecord streamRow(ResultSet rs) throws SQLException {
    return new StreamRecord(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        ConfigCodec.streamConfigFromJson(rs.getString(4)),
        toInstant(rs.getString(5)),
        toInstant(rs.getString(6)),
        rs.getString(7),
        rs.getString(8),
        rs.getLong(9));
  }

  // ---------------------------------------------------------------- stream state

  @Override
  public CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId) {
    return read(
        "get stream state " + streamId,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT stream_id, flushed_next_seq_num, tail_seq_num, tail_timestamp,"
                      + " fencing_token, trim_point, epoch FROM stream_state WHERE stream_id = ?")) {
            ps.setString(1, streamId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(
                  new StreamStateRecord(
                      rs.getString(1),
                      rs.getLong(2),
                      rs.getLong(3),
                      rs.getLong(4),
                      rs.getString(5),
                      rs.getLong(6),
                      rs.getLong(7)));
            }
          }
        });
  }

  @Override
  public CompletionStage<Boolean> putStreamState(StreamStateRecord s) {
    Objects.requireNonNull(s, "state");
    return write(
        "put stream state " + s.streamId(),
        c -> {
          try (PreparedStatement read =
              c.prepareStatement(
                  "SELECT epoch, flushed_next_seq_num FROM stream_state WHERE stream_id = ?")) {
            read.setString(1, s.streamId());
            try (ResultSet rs = read.executeQuery()) {
              if (rs.next()) {
                long epoch = rs.getLong(1);
                long flushed = rs.getLong(2);
                if (epoch > s.epoch() || (epoch == s.epoch() && flushed > s.flushedNextSeqNum())) {
                  return false;
                }
              }
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO stream_state(stream_id, flushed_next_seq_num,"
                      + " tail_seq_num, tail_timestamp, fencing_token, trim_point, epoch)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, s.streamId());
            ps.setLong(2, s.flushedNextSeqNum());
            ps.setLong(3, s.tailSeqNum());
            ps.setLong(4, s.tailTimestamp());
            ps.setString(5, s.fencingToken());
            ps.setLong(6, s.trimPoint());
            ps.setLong(7, s.epoch());
            ps.executeUpdate();
            return true;
          }
        });
  }

  @Override
  public CompletionStage<Void> deleteStreamState(String streamId) {
    return write(
        "delete stream state " + streamId,
        c -> update(c, "DELETE FROM stream_state WHERE stream_id = ?", streamId));
  }

  // ---------------------------------------------------------------- streamlets

  @Override
  public CompletionStage<Boolean> createStreamlet(StreamletRecord s) {
    Objects.requireNonNull(s, "streamlet");
    return write(
        "create streamlet " + s.streamId() + " epoch " + s.epoch(),
        c -> {
          Long latest = latestEpoch(c, s.streamId());
          if (latest != null && latest >= s.epoch()) {
            return false;
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO streamlets(stream_id, epoch, channel_id, first_chunk_seq,"
                      + " sealed_next_seq_num, last_chunk_seq) VALUES (?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT(stream_id, epoch) DO NOTHING")) {
            ps.setString(1, s.streamId());
            ps.setLong(2, s.epoch());
            ps.setString(3, s.channelId());
            ps.setLong(4, s.firstChunkSeq());
            setLong(ps, 5, s.sealedNextSeqNum());
            setLong(ps, 6, s.lastChunkSeq());
            if (ps.executeUpdate() != 1) {
              return false;
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO streamlet_epochs(stream_id, latest_epoch)"
                      + " VALUES (?, ?)")) {
            ps.setString(1, s.streamId());
            ps.setLong(2, s.epoch());
            ps.executeUpdate();
          }
          return true;
        });
  }

  /** The highest streamlet epoch ever created for the stream, null if none. */
  private static Long latestEpoch(Connection c, String streamId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT latest_epoch FROM streamlet_epochs WHERE stream_id = ?")) {
      ps.setString(1, streamId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  @Override
  public CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return write(
        "seal streamlet " + streamId + " epoch " + epoch,
        c -> {
          Long latest = latestEpoch(c, streamId);
          if (latest == null || latest > epoch) {
            return false;
          }
          try (PreparedStatement read =
              c.prepareStatement(
                  "SELECT sealed_next_seq_num, last_chunk_seq FROM streamlets"
                      + " WHERE stream_id = ? AND epoch = ?")) {
            read.setString(1, streamId);
            read.setLong(2, epoch);
            try (ResultSet rs = read.executeQuery()) {
              if (!rs.next()) {
                return false;
              }
              Long sealed = getLong(rs, 1);
              Long last = getLong(rs, 2);
              if (sealed != null || last != null) {
                return Objects.equals(sealed, sealedNextSeqNum)
                    && Objects.equals(last, lastChunkSeq);
              }
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE streamlets SET sealed_next_seq_num = ?, last_chunk_seq = ?"
                      + " WHERE stream_id = ? AND epoch = ?")) {
            ps.setLong(1, sealedNextSeqNum);
            ps.setLong(2, lastChunkSeq);
            ps.setString(3, streamId);
            ps.setLong(4, epoch);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public CompletionStage<List<StreamletRecord>> listStreamlets(String streamId) {
    return read(
        "list streamlets of " + streamId,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT stream_id, epoch, channel_id, first_chunk_seq, sealed_next_seq_num,"
                      + " last_chunk_seq FROM streamlets WHERE stream_id = ? ORDER BY epoch")) {
            ps.setString(1, streamId);
            List<StreamletRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new StreamletRecord(
                        rs.getString(1),
                        rs.getLong(2),
                        rs.getString(3),
                        rs.getLong(4),
                        getLong(rs, 5),
                        getLong(rs, 6)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch) {
    return write(
        "delete streamlets of " + streamId + " below epoch " + belowEpoch,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM streamlets WHERE stream_id = ? AND epoch < ?")) {
            ps.setString(1, streamId);
            ps.setLong(2, belowEpoch);
            ps.executeUpdate();
            return null;
          }
        });
  }

  // ---------------------------------------------------------------- segments

  @Override
  public CompletionStage<Boolean> addSegment(SegmentRecord s) {
    Objects.requireNonNull(s, "segment");
    return write(
        "add segment " + s.objectKey(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO segments(stream_id, first_seq_num, last_seq_num,"
                      + " first_timestamp, last_timestamp, object_key, bytes)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT(stream_id, first_seq_num) DO NOTHING")) {
            ps.setString(1, s.streamId());
            ps.setLong(2, s.firstSeqNum());
            ps.setLong(3, s.lastSeqNum());
            ps.setLong(4, s.firstTimestamp());
            ps.setLong(5, s.lastTimestamp());
            ps.setString(6, s.objectKey());
            ps.setLong(7, s.bytes());
            if (ps.executeUpdate() == 1) {
              return true;
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT stream_id, first_seq_num, last_seq_num, first_timestamp,"
                      + " last_timestamp, object_key, bytes FROM segments"
                      + " WHERE stream_id = ? AND first_seq_num = ?")) {
            ps.setString(1, s.streamId());
            ps.setLong(2, s.firstSeqNum());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() && segmentRow(rs).equals(s);
            }
          }
        });
  }

  @Override
  public CompletionStage<List<SegmentRecord>> listSegments(String streamId) {
    return read(
        "list segments of " + streamId,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT stream_id, first_seq_num, last_seq_num, first_timestamp,"
                      + " last_timestamp, object_key, bytes FROM segments WHERE stream_id = ?"
                      + " ORDER BY first_seq_num")) {
            ps.setString(1, streamId);
            List<SegmentRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(segmentRow(rs));
              }
            }
            return out;
          }
        });
  }

  private static SegmentRecord segmentRow(ResultSet rs) throws SQLException {
    return new SegmentRecord(
        rs.getString(1),
        rs.getLong(2),
        rs.getLong(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getLong(7));
  }

  @Override
  public CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum) {
    return write(
        "delete segment " + streamId + "@" + firstSeqNum,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM segments WHERE stream_id = ? AND first_seq_num = ?")) {
            ps.setString(1, streamId);
            ps.setLong(2, firstSeqNum);
            ps.executeUpdate();
            return null;
          }
        });
  }

  // ---------------------------------------------------------------- channels

  private static final String CHANNEL_COLUMNS =
      "channel_id, node, storage_class, started_at, seal_chunk_seq";

  @Override
  public CompletionStage<Void> putChannel(ChannelRecord ch) {
    Objects.requireNonNull(ch, "channel");
    return write(
        "put channel " + ch.channelId(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO channels("
                      + CHANNEL_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, ch.channelId());
            ps.setString(2, ch.node());
            ps.setString(3, ch.storageClass());
            ps.setString(4, instant(ch.startedAt()));
            setLong(ps, 5, ch.sealChunkSeq());
            ps.executeUpdate();
            return null;
          }
        });
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> getChannel(String channelId) {
    return read(
        "get channel " + channelId,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + CHANNEL_COLUMNS + " FROM channels WHERE channel_id = ?")) {
            ps.setString(1, channelId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(channelRow(rs)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public CompletionStage<List<ChannelRecord>> listChannels() {
    return read(
        "list channels",
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT " + CHANNEL_COLUMNS + " FROM channels ORDER BY channel_id");
              ResultSet rs = ps.executeQuery()) {
            List<ChannelRecord> out = new ArrayList<>();
            while (rs.next()) {
              out.add(channelRow(rs));
            }
            return out;
          }
        });
  }

  @Override
  public CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq) {
    return write(
        "seal channel " + channelId + " at chunk " + sealChunkSeq,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("UPDATE channels SET seal_chunk_seq = ? WHERE channel_id = ?")) {
            ps.setLong(1, sealChunkSeq);
            ps.setString(2, channelId);
            ps.executeUpdate();
            return null;
          }
        });
  }

  @Override
  public CompletionStage<Void> deleteChannel(String channelId) {
    return write(
        "delete channel " + channelId,
        c -> update(c, "DELETE FROM channels WHERE channel_id = ?", channelId));
  }

  private static ChannelRecord channelRow(ResultSet rs) throws SQLException {
    return new ChannelRecord(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        toInstant(rs.getString(4)),
        getLong(rs, 5));
  }

  // ---------------------------------------------------------------- health, close

  /** True once a trivial query answers; false if it fails or the store is closed. */
  @Override
  public CompletionStage<Boolean> healthy() {
    return read(
            "health check",
            c -> {
              try (Statement s = c.createStatement();
                  ResultSet rs = s.executeQuery("SELECT 1")) {
                return rs.next() && rs.getInt(1) == 1;
              }
            })
        .exceptionally(e -> false);
  }

  /** Finishes the queued calls, closes the connection and stops the thread; later calls fail. */
  @Override
  public void close() {
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

  // ---------------------------------------------------------------- internals

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> CompletionStage<T> read(String what, Work<T> work) {
    return submit(what, () -> work.run(conn));
  }

  private <T> CompletionStage<T> write(String what, Work<T> work) {
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

  private static Void update(Connection c, String sql, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, key);
      ps.executeUpdate();
      return null;
    }
  }

  private static void requireLimit(int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
  }

  private static String instant(Instant i) {
    return i == null ? null : i.toString();
  }

  private static Instant toInstant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setLong(i, v);
    }
  }

  private static Long getLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }

  /**
   * The WHERE condition of a name listing: strictly after {@code startAfter}, starting with {@code
   * prefix}. A prefix is a range {@code [prefix, prefix + U+10FFFF)} (cheap on the primary key)
   * plus an exact prefix test.
   */
  private record Range(String column, String prefix, String startAfter) {
    String sql() {
      StringBuilder sb = new StringBuilder(column).append(" > ?");
      if (prefix != null && !prefix.isEmpty()) {
        sb.append(" AND ")
            .append(column)
            .append(" >= ? AND ")
            .append(column)
            .append(" < ? AND substr(")
            .append(column)
            .append(", 1, length(?)) = ?");
      }
      return sb.toString();
    }

    int bind(PreparedStatement ps, int i) throws SQLException {
      ps.setString(i++, startAfter == null ? "" : startAfter);
      if (prefix != null && !prefix.isEmpty()) {
        ps.setString(i++, prefix);
        ps.setString(i++, prefix + "\uDBFF\uDFFF");
        ps.setString(i++, prefix);
        ps.setString(i++, prefix);
      }
      return i;
    }
  }
}
