package io.millrace.metadata.cassandra;

import static io.millrace.core.Failures.unwrap;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link MetadataStore}: a Cassandra keyspace (tables documented in docs/metadata.md,
 * "Cassandra"), through the DataStax/Apache Java driver 4 asynchronous API with prepared
 * statements. The schema lives in versioned CQL resource files {@code V<n>__<name>.cql} next to
 * this class; {@link #applySchema} (also run at open) creates the keyspace and applies the files
 * not yet recorded in its {@code schema_version} table.
 *
 * <p>Conditional writes are lightweight transactions: creates are {@code INSERT ... IF NOT EXISTS},
 * version-checked updates and deletes use {@code IF version = ?}, and a channel seal {@code IF
 * EXISTS} (so a seal never creates a row). The fenced owner writes are conditional too: a streamlet
 * is created and sealed against the partition's static {@code latest_epoch}, a segment is inserted
 * {@code IF NOT EXISTS}, and stream state is a compare-and-set loop on {@code (epoch,
 * flushed_next_seq_num)}. The Paxos phase runs at the configured serial consistency. When Cassandra
 * cannot tell whether a lightweight transaction was applied (a CAS write timeout), the store
 * resolves the outcome itself: it retries the transaction and compares the row it finds with the
 * one it wrote (for version checks, after a serial read). Rows of {@code channels} are upserted.
 *
 * <p>Every driver failure (unreachable nodes, timeouts, unavailable replicas) and every stored
 * value it cannot read completes the stage with {@link MetadataStoreException}; callers may retry.
 * Stages complete on driver threads, never on the caller's; nothing here blocks except {@link
 * #open}, {@link #applySchema(CassandraSettings)} and {@link #close}.
 */
public final class CassandraMetadataStore implements MetadataStore {

  /** Schema migrations in order; version n is the n-th entry. Never edit a released one. */
  static final List<String> MIGRATIONS =
      List.of("V1__schema.cql", "V2__streamlet_latest_epoch.cql");

  /** The single implicit account that partitions {@code basins}. */
  static final String ACCOUNT = "default";

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);
  private static final Duration SCHEMA_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RECONNECTION_MAX_DELAY = Duration.ofSeconds(2);
  private static final int CAS_ATTEMPTS = 4;

  /** Bound of a compare-and-set loop; every refused step means another writer moved first. */
  private static final int CAS_LOOP_ATTEMPTS = 16;

  private final CassandraSettings settings;
  private final CqlSession session;
  private final ConsistencyLevel serial;
  private final Statements q;
  private volatile boolean closed;

  private CassandraMetadataStore(CassandraSettings settings, CqlSession session, Statements q) {
    this.settings = settings;
    this.session = session;
    this.serial = DefaultConsistencyLevel.valueOf(settings.serialConsistency());
    this.q = q;
  }

  // ---------------------------------------------------------------- opening and schema

  /**
   * Connects, brings the schema up to date and prepares the statements.
   *
   * @throws MetadataStoreException if no node answers within the connect timeout, the schema is
   *     newer than this build, or anything else fails; the message names the contact points
   */
  public static CassandraMetadataStore open(CassandraSettings settings) {
    return await(openAsync(settings), settings, "open the Cassandra metadata store");
  }

  /** {@link #open} without blocking. */
  public static CompletionStage<CassandraMetadataStore> openAsync(CassandraSettings settings) {
    Objects.requireNonNull(settings, "settings");
    return connect(settings)
        .thenCompose(
            session ->
                migrate(session, settings)
                    .thenCompose(applied -> Statements.prepare(session, settings.keyspace()))
                    .thenApply(
                        statements -> {
                          log.info(
                              "Cassandra metadata store opened: keyspace {} at {} (schema version"
                                  + " {}).",
                              settings.keyspace(),
                              settings.contactPointsText(),
                              MIGRATIONS.size());
                          return new CassandraMetadataStore(settings, session, statements);
                        })
                    .whenComplete(
                        (store, t) -> {
                          if (t != null) {
                            session.closeAsync();
                          }
                        }))
        .exceptionally(
            t -> {
              throw new CompletionException(
                  storeFailure("cannot open the Cassandra metadata store", settings, t));
            });
  }

  /**
   * Creates the keyspace if missing and applies the schema files not yet applied (the {@code
   * schema} subcommand). Idempotent.
   *
   * @return how many schema files were applied now
   * @throws MetadataStoreException if Cassandra cannot be reached or the schema is newer than this
   *     build
   */
  public static int applySchema(CassandraSettings settings) {
    CompletionStage<Integer> applied =
        connect(settings)
            .thenCompose(
                session ->
                    migrate(session, settings)
                        .handle(
                            (n, t) ->
                                session
                                    .closeAsync()
                                    .thenApply(
                                        v -> {
                                          if (t != null) {
                                            throw new CompletionException(t);
                                          }
                                          return n;
                                        }))
                        .thenCompose(Function.identity()));
    return await(applied, settings, "apply the Cassandra metadata schema");
  }

  private static CompletionStage<CqlSession> connect(CassandraSettings s) {
    DriverConfigLoader loader =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, s.requestTimeout())
            .withString(DefaultDriverOption.REQUEST_CONSISTENCY, s.consistency())
            .withString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY, s.serialConsistency())
            .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, s.connectTimeout())
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, s.connectTimeout())
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, s.connectTimeout())
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, s.connectTimeout())
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, SCHEMA_TIMEOUT)
            .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
            // After an outage, reconnect within seconds: the driver's default backoff grows to 60
            // s,
            // and every append that needs metadata fails until the session is back.
            .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(500))
            .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, RECONNECTION_MAX_DELAY)
            // Schema metadata (for token-aware routing) of our keyspace only.
            .withStringList(
                DefaultDriverOption.METADATA_SCHEMA_REFRESHED_KEYSPACES, List.of(s.keyspace()))
            // Close at once: the default waits a 2 s quiet period per event loop group.
            .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
            .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
            .withString(DefaultDriverOption.SESSION_NAME, "millrace-metadata")
            .build();
    CqlSessionBuilder builder =
        CqlSession.builder()
            .addContactPoints(s.contactPoints())
            .withLocalDatacenter(s.localDatacenter())
            .withConfigLoader(loader);
    if (s.username() != null) {
      builder.withAuthCredentials(s.username(), s.password());
    }
    return builder.buildAsync();
  }

  /** Creates the keyspace and {@code schema_version}, then applies the missing files. */
  private static CompletionStage<Integer> migrate(CqlSession session, CassandraSettings s) {
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
        .thenCompose(CassandraMetadataStore::allRows)
        .thenCompose(
            rows -> {
              int current = rows.stream().mapToInt(r -> r.getInt("version")).max().orElse(0);
              if (current > MIGRATIONS.size()) {
                throw new MetadataStoreException(
                    "the Cassandra keyspace "
                        + ks
                        + " has schema version "
                        + current
                        + ", newer than this build supports ("
                        + MIGRATIONS.size()
                        + ")",
                    null);
              }
              CompletionStage<Integer> chain = CompletableFuture.completedFuture(0);
              for (int version = current + 1; version <= MIGRATIONS.size(); version++) {
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
                    MIGRATIONS.size(),
                    n);
              }
            });
  }

  private static CompletionStage<Void> applyFile(CqlSession session, String ks, int version) {
    String name = MIGRATIONS.get(version - 1);
    List<String> statements = CqlFile.statements(name, ks);
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
                            name)
                        .setTimeout(SCHEMA_TIMEOUT))
                .thenApply(rs -> (Void) null));
  }

  private static CompletionStage<Void> ddl(CqlSession session, String cql) {
    return session
        .executeAsync(SimpleStatement.newInstance(cql).setTimeout(SCHEMA_TIMEOUT))
        .thenApply(rs -> (Void) null);
  }

  // ---------------------------------------------------------------- basins

  @Override
  public CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord b) {
    return create(
        () ->
            q.insertBasin.bind(
                ACCOUNT,
                b.name(),
                ConfigCodec.toJson(b.config()),
                b.createdAt(),
                b.deletedAt(),
                b.createToken(),
                b.version()),
        b,
        CassandraMetadataStore::basinRow);
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> getBasin(String name) {
    return one(q.getBasin.bind(ACCOUNT, name), CassandraMetadataStore::basinRow);
  }

  @Override
  public CompletionStage<List<BasinRecord>> listBasins(
      String prefix, String startAfter, int limit) {
    return list(
        q.listBasins,
        List.of(ACCOUNT),
        prefix,
        startAfter,
        limit,
        CassandraMetadataStore::basinRow,
        BasinRecord::name);
  }

  @Override
  public CompletionStage<Boolean> updateBasin(BasinRecord b, long expectedVersion) {
    return versioned(
        () ->
            q.updateBasin.bind(
                ConfigCodec.toJson(b.config()),
                b.createdAt(),
                b.deletedAt(),
                b.createToken(),
                b.version(),
                ACCOUNT,
                b.name(),
                expectedVersion),
        () -> q.getBasin.bind(ACCOUNT, b.name()),
        CassandraMetadataStore::basinRow,
        BasinRecord::version,
        expectedVersion,
        Optional.of(b));
  }

  @Override
  public CompletionStage<Boolean> deleteBasin(String name, long expectedVersion) {
    return versioned(
        () -> q.deleteBasin.bind(ACCOUNT, name, expectedVersion),
        () -> q.getBasin.bind(ACCOUNT, name),
        CassandraMetadataStore::basinRow,
        BasinRecord::version,
        expectedVersion,
        Optional.empty());
  }

  // ---------------------------------------------------------------- streams

  @Override
  public CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord s) {
    return create(
        () ->
            q.insertStream.bind(
                s.basin(),
                s.name(),
                s.streamId(),
                ConfigCodec.toJson(s.config()),
                s.createdAt(),
                s.deletedAt(),
                s.createToken(),
                s.cipher(),
                s.version()),
        s,
        CassandraMetadataStore::streamRow);
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> getStream(String basin, String name) {
    return one(q.getStream.bind(basin, name), CassandraMetadataStore::streamRow);
  }

  @Override
  public CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit) {
    return list(
        q.listStreams,
        List.of(basin),
        prefix,
        startAfter,
        limit,
        CassandraMetadataStore::streamRow,
        StreamRecord::name);
  }

  @Override
  public CompletionStage<Boolean> updateStream(StreamRecord s, long expectedVersion) {
    return versioned(
        () ->
            q.updateStream.bind(
                s.streamId(),
                ConfigCodec.toJson(s.config()),
                s.createdAt(),
                s.deletedAt(),
                s.createToken(),
                s.cipher(),
                s.version(),
                s.basin(),
                s.name(),
                expectedVersion),
        () -> q.getStream.bind(s.basin(), s.name()),
        CassandraMetadataStore::streamRow,
        StreamRecord::version,
        expectedVersion,
        Optional.of(s));
  }

  @Override
  public CompletionStage<Boolean> deleteStream(String basin, String name, long expectedVersion) {
    return versioned(
        () -> q.deleteStream.bind(basin, name, expectedVersion),
        () -> q.getStream.bind(basin, name),
        CassandraMetadataStore::streamRow,
        StreamRecord::version,
        expectedVersion,
        Optional.empty());
  }

  // ---------------------------------------------------------------- stream state

  @Override
  public CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId) {
    return one(
        q.getStreamState.bind(streamId),
        r ->
            new StreamStateRecord(
                r.getString("stream_id"),
                r.getLong("flushed_next_seq_num"),
                r.getLong("tail_seq_num"),
                r.getLong("tail_timestamp"),
                r.getString("fencing_token"),
                r.getLong("trim_point"),
                r.getLong("epoch")));
  }

  @Override
  public CompletionStage<Boolean> putStreamState(StreamStateRecord s) {
    return mapped(putStreamStateAttempt(s, null, 1));
  }

  /**
   * One step of the compare-and-set loop: with {@code seen} null, insert if absent (a refused
   * insert returns the stored row); else update if the stored row still has {@code seen}'s epoch
   * and flushed position. A step that is refused because another writer moved the row is repeated
   * with the row it returns; an uncertain one starts again from the insert (our own write, if
   * applied, then reads as equal and is written again).
   */
  private CompletionStage<Boolean> putStreamStateAttempt(
      StreamStateRecord s, long[] seen, int attempt) {
    if (attempt > CAS_LOOP_ATTEMPTS) {
      return CompletableFuture.failedFuture(
          new MetadataStoreException(
              "stream state of "
                  + s.streamId()
                  + " kept changing under "
                  + CAS_LOOP_ATTEMPTS
                  + " compare-and-set attempts",
              null));
    }
    Supplier<BoundStatement> statement =
        seen == null
            ? () ->
                q.insertStreamState.bind(
                    s.streamId(),
                    s.flushedNextSeqNum(),
                    s.tailSeqNum(),
                    s.tailTimestamp(),
                    s.fencingToken(),
                    s.trimPoint(),
                    s.epoch())
            : () ->
                q.updateStreamState.bind(
                    s.flushedNextSeqNum(),
                    s.tailSeqNum(),
                    s.tailTimestamp(),
                    s.fencingToken(),
                    s.trimPoint(),
                    s.epoch(),
                    s.streamId(),
                    seen[0],
                    seen[1]);
    return exec(statement)
        .<CompletionStage<Boolean>>handle(
            (rs, t) -> {
              if (t != null) {
                if (isCasUncertain(t)) {
                  log.debug("Stream state CAS outcome unknown, trying again: {}", s, t);
                  return putStreamStateAttempt(s, null, attempt + 1);
                }
                return CompletableFuture.failedFuture(t);
              }
              if (rs.wasApplied()) {
                return CompletableFuture.completedFuture(true);
              }
              Row row = rs.one();
              Long storedEpoch = resultLong(row, "epoch");
              Long storedFlushed = resultLong(row, "flushed_next_seq_num");
              if (storedEpoch == null || storedFlushed == null) {
                return putStreamStateAttempt(s, null, attempt + 1); // the row was deleted
              }
              long epoch = storedEpoch;
              long flushed = storedFlushed;
              if (epoch > s.epoch() || (epoch == s.epoch() && flushed > s.flushedNextSeqNum())) {
                return CompletableFuture.completedFuture(false);
              }
              return putStreamStateAttempt(s, new long[] {epoch, flushed}, attempt + 1);
            })
        .thenCompose(Function.identity());
  }

  @Override
  public CompletionStage<Void> deleteStreamState(String streamId) {
    return write(() -> q.deleteStreamState.bind(streamId));
  }

  // ---------------------------------------------------------------- streamlets

  @Override
  public CompletionStage<Boolean> createStreamlet(StreamletRecord s) {
    return mapped(createStreamletAttempt(s, 1, false));
  }

  /**
   * Reads the partition's highest epoch (static {@code latest_epoch}, or the highest row for a
   * partition written before schema version 2) at serial consistency; refuses an epoch at or below
   * it; else creates the row and raises {@code latest_epoch} in one lightweight transaction that
   * holds only if {@code latest_epoch} is still what was read and the row is absent. A refused
   * transaction (another activation moved first) is decided again from a new read; an uncertain one
   * too, where finding exactly our row at the top means ours was applied.
   */
  private CompletionStage<Boolean> createStreamletAttempt(
      StreamletRecord s, int attempt, boolean unsure) {
    if (attempt > CAS_LOOP_ATTEMPTS) {
      return CompletableFuture.failedFuture(
          new MetadataStoreException(
              "streamlets of "
                  + s.streamId()
                  + " kept changing under "
                  + CAS_LOOP_ATTEMPTS
                  + " compare-and-set attempts",
              null));
    }
    return exec(() -> q.latestStreamlet.bind(s.streamId()).setConsistencyLevel(serial))
        .thenCompose(
            rs -> {
              Row top = rs.one();
              Long latest = top == null ? null : nullableLong(top, "latest_epoch");
              Long highestRow = top == null ? null : nullableLong(top, "epoch");
              long highest =
                  Math.max(
                      latest == null ? Long.MIN_VALUE : latest,
                      highestRow == null ? Long.MIN_VALUE : highestRow);
              if ((latest != null || highestRow != null) && highest >= s.epoch()) {
                boolean ours =
                    unsure
                        && highestRow != null
                        && highestRow == s.epoch()
                        && streamletRow(top).equals(s);
                return CompletableFuture.completedFuture(ours);
              }
              Supplier<BoundStatement> create =
                  latest == null
                      ? () ->
                          q.createFirstStreamlet.bind(
                              s.epoch(),
                              s.channelId(),
                              s.firstChunkSeq(),
                              s.sealedNextSeqNum(),
                              s.lastChunkSeq(),
                              s.streamId(),
                              s.epoch())
                      : () ->
                          q.createNextStreamlet.bind(
                              s.epoch(),
                              s.channelId(),
                              s.firstChunkSeq(),
                              s.sealedNextSeqNum(),
                              s.lastChunkSeq(),
                              s.streamId(),
                              s.epoch(),
                              latest);
              return exec(create)
                  .<CompletionStage<Boolean>>handle(
                      (applied, t) -> {
                        if (t == null) {
                          return applied.wasApplied()
                              ? CompletableFuture.completedFuture(true)
                              : createStreamletAttempt(s, attempt + 1, unsure);
                        }
                        if (isCasUncertain(t)) {
                          log.debug("Streamlet create outcome unknown, reading back: {}", s, t);
                          return createStreamletAttempt(s, attempt + 1, true);
                        }
                        return CompletableFuture.failedFuture(t);
                      })
                  .thenCompose(Function.identity());
            });
  }

  @Override
  public CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return mapped(sealStreamletAttempt(streamId, epoch, sealedNextSeqNum, lastChunkSeq, 1));
  }

  /**
   * Seals {@code IF latest_epoch = epoch AND channel_id != null} (no higher epoch was created, the
   * row exists) {@code AND} both seal columns are null. When refused, the returned columns tell
   * whether the row is already sealed with exactly these values by an earlier attempt (true). An
   * uncertain outcome is repeated: the repetition applies or finds our values.
   */
  private CompletionStage<Boolean> sealStreamletAttempt(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq, int attempt) {
    return exec(() -> q.sealStreamlet.bind(sealedNextSeqNum, lastChunkSeq, streamId, epoch, epoch))
        .<CompletionStage<Boolean>>handle(
            (rs, t) -> {
              if (t != null) {
                if (isCasUncertain(t) && attempt < CAS_ATTEMPTS) {
                  return sealStreamletAttempt(
                      streamId, epoch, sealedNextSeqNum, lastChunkSeq, attempt + 1);
                }
                return CompletableFuture.failedFuture(t);
              }
              if (rs.wasApplied()) {
                return CompletableFuture.completedFuture(true);
              }
              Row row = rs.one();
              // A refused transaction returns the columns of its conditions (none for a missing
              // partition).
              boolean alreadyOurs =
                  row != null
                      && Long.valueOf(epoch).equals(resultLong(row, "latest_epoch"))
                      && row.getColumnDefinitions().contains("channel_id")
                      && !row.isNull("channel_id")
                      && Long.valueOf(sealedNextSeqNum)
                          .equals(resultLong(row, "sealed_next_seq_num"))
                      && Long.valueOf(lastChunkSeq).equals(resultLong(row, "last_chunk_seq"));
              return CompletableFuture.completedFuture(alreadyOurs);
            })
        .thenCompose(Function.identity());
  }

  @Override
  public CompletionStage<List<StreamletRecord>> listStreamlets(String streamId) {
    // A partition whose rows were all deleted still holds its static latest_epoch: Cassandra
    // returns it as one row without a clustering key, which is no streamlet.
    // Read at serial consistency (activation only): it completes a streamlet create whose outcome
    // was never confirmed, so an activation sees the epochs the fenced writes will compare with.
    return mapped(
        exec(() -> q.listStreamlets.bind(streamId).setConsistencyLevel(serial))
            .thenCompose(CassandraMetadataStore::allRows)
            .thenApply(
                rows ->
                    rows.stream()
                        .filter(r -> !r.isNull("epoch"))
                        .map(CassandraMetadataStore::streamletRow)
                        .toList()));
  }

  @Override
  public CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch) {
    return write(() -> q.deleteStreamlets.bind(streamId, belowEpoch));
  }

  // ---------------------------------------------------------------- segments

  @Override
  public CompletionStage<Boolean> addSegment(SegmentRecord s) {
    return create(
            () ->
                q.addSegment.bind(
                    s.streamId(),
                    s.firstSeqNum(),
                    s.lastSeqNum(),
                    s.firstTimestamp(),
                    s.lastTimestamp(),
                    s.objectKey(),
                    s.bytes()),
            s,
            CassandraMetadataStore::segmentRow)
        .thenApply(
            r ->
                r instanceof CreateResult.Created<SegmentRecord>
                    || (r instanceof CreateResult.AlreadyExists<SegmentRecord> a
                        && a.existing().equals(s)));
  }

  @Override
  public CompletionStage<List<SegmentRecord>> listSegments(String streamId) {
    return all(q.listSegments.bind(streamId), CassandraMetadataStore::segmentRow);
  }

  @Override
  public CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum) {
    return write(() -> q.deleteSegment.bind(streamId, firstSeqNum));
  }

  // ---------------------------------------------------------------- channels

  @Override
  public CompletionStage<Void> putChannel(ChannelRecord c) {
    return write(
        () ->
            q.putChannel.bind(
                c.channelId(), c.node(), c.storageClass(), c.startedAt(), c.sealChunkSeq()));
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> getChannel(String channelId) {
    return one(q.getChannel.bind(channelId), CassandraMetadataStore::channelRow);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> listChannels() {
    return all(q.listChannels.bind(), CassandraMetadataStore::channelRow)
        .thenApply(
            rows -> {
              List<ChannelRecord> sorted = new ArrayList<>(rows);
              sorted.sort(Comparator.comparing(ChannelRecord::channelId, Names::compare));
              return List.copyOf(sorted);
            });
  }

  @Override
  public CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq) {
    return idempotentCas(() -> q.sealChannel.bind(sealChunkSeq, channelId));
  }

  @Override
  public CompletionStage<Void> deleteChannel(String channelId) {
    return write(() -> q.deleteChannel.bind(channelId));
  }

  // ---------------------------------------------------------------- health, close

  @Override
  public CompletionStage<Boolean> healthy() {
    if (closed) {
      return CompletableFuture.completedFuture(false);
    }
    try {
      return session.executeAsync(q.health.bind()).handle((rs, t) -> t == null && rs.one() != null);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(false);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.closeAsync().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Closing the Cassandra session of keyspace {} failed.", settings.keyspace(), e);
      session.forceCloseAsync();
    }
  }

  // ---------------------------------------------------------------- row mapping

  private static BasinRecord basinRow(Row r) {
    return new BasinRecord(
        r.getString("name"),
        ConfigCodec.basinConfigFromJson(r.getString("config")),
        r.getInstant("created_at"),
        r.getInstant("deleted_at"),
        r.getString("create_token"),
        r.getLong("version"));
  }

  private static StreamRecord streamRow(Row r) {
    return new StreamRecord(
        r.getString("basin"),
        r.getString("name"),
        r.getString("stream_id"),
        ConfigCodec.streamConfigFromJson(r.getString("config")),
        r.getInstant("created_at"),
        r.getInstant("deleted_at"),
        r.getString("create_token"),
        r.getString("cipher"),
        r.getLong("version"));
  }

  private static StreamletRecord streamletRow(Row r) {
    return new StreamletRecord(
        r.getString("stream_id"),
        r.getLong("epoch"),
        r.getString("channel_id"),
        r.getLong("first_chunk_seq"),
        nullableLong(r, "sealed_next_seq_num"),
        nullableLong(r, "last_chunk_seq"));
  }

  private static SegmentRecord segmentRow(Row r) {
    return new SegmentRecord(
        r.getString("stream_id"),
        r.getLong("first_seq_num"),
        r.getLong("last_seq_num"),
        r.getLong("first_timestamp"),
        r.getLong("last_timestamp"),
        r.getString("object_key"),
        r.getLong("bytes"));
  }

  private static ChannelRecord channelRow(Row r) {
    return new ChannelRecord(
        r.getString("channel_id"),
        r.getString("node"),
        r.getString("storage_class"),
        r.getInstant("started_at"),
        nullableLong(r, "seal_chunk_seq"));
  }

  /** A column of a refused transaction's result row: null if absent from the row, or null. */
  private static Long resultLong(Row r, String column) {
    if (r == null || !r.getColumnDefinitions().contains(column)) {
      return null;
    }
    return nullableLong(r, column);
  }

  private static Long nullableLong(Row r, String column) {
    return r.isNull(column) ? null : r.getLong(column);
  }

  // ---------------------------------------------------------------- execution helpers

  /** Runs a statement; maps every failure (also one building it) to MetadataStoreException. */
  private CompletionStage<AsyncResultSet> exec(Supplier<BoundStatement> statement) {
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

  /** Wraps the stage's failure, and a failure of {@code map}, in MetadataStoreException. */
  private <T> CompletionStage<T> mapped(CompletionStage<T> stage) {
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

  private CompletionStage<Void> write(Supplier<BoundStatement> statement) {
    return mapped(exec(statement).thenApply(rs -> (Void) null));
  }

  private <T> CompletionStage<Optional<T>> one(BoundStatement statement, Function<Row, T> map) {
    return mapped(
        exec(() -> statement)
            .thenApply(
                rs -> {
                  Row row = rs.one();
                  return row == null ? Optional.<T>empty() : Optional.of(map.apply(row));
                }));
  }

  private <T> CompletionStage<List<T>> all(BoundStatement statement, Function<Row, T> map) {
    return mapped(
        exec(() -> statement)
            .thenCompose(CassandraMetadataStore::allRows)
            .thenApply(rows -> rows.stream().map(map).toList()));
  }

  /** Every row of a result, fetching further pages asynchronously. */
  private static CompletionStage<List<Row>> allRows(AsyncResultSet first) {
    List<Row> rows = new ArrayList<>();
    return collect(first, rows);
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

  /**
   * A create-if-absent LWT: Created if applied; AlreadyExists with the row Cassandra returns
   * otherwise. An uncertain outcome is resolved by trying again: finding exactly our row means our
   * earlier attempt was applied.
   */
  private <T> CompletionStage<CreateResult<T>> create(
      Supplier<BoundStatement> insert, T mine, Function<Row, T> map) {
    return mapped(createAttempt(insert, mine, map, 1, false));
  }

  private <T> CompletionStage<CreateResult<T>> createAttempt(
      Supplier<BoundStatement> insert, T mine, Function<Row, T> map, int attempt, boolean unsure) {
    return exec(insert)
        .<CompletionStage<CreateResult<T>>>handle(
            (rs, t) -> {
              if (t == null) {
                if (rs.wasApplied()) {
                  return CompletableFuture.completedFuture(new CreateResult.Created<>(mine));
                }
                T existing = map.apply(rs.one());
                return CompletableFuture.completedFuture(
                    unsure && existing.equals(mine)
                        ? new CreateResult.Created<>(mine)
                        : new CreateResult.AlreadyExists<>(existing));
              }
              if (isCasUncertain(t) && attempt < CAS_ATTEMPTS) {
                log.debug("Lightweight transaction outcome unknown, retrying: {}", mine, t);
                return createAttempt(insert, mine, map, attempt + 1, true);
              }
              return CompletableFuture.failedFuture(t);
            })
        .thenCompose(Function.identity());
  }

  /**
   * A version-checked LWT update or delete. If the outcome is unknown, a serial read decides: our
   * row (or, for a delete, no row) means it was applied; the expected version means try again.
   */
  private <T> CompletionStage<Boolean> versioned(
      Supplier<BoundStatement> write,
      Supplier<BoundStatement> read,
      Function<Row, T> map,
      Function<T, Long> version,
      long expectedVersion,
      Optional<T> after) {
    return mapped(versionedAttempt(write, read, map, version, expectedVersion, after, 1));
  }

  private <T> CompletionStage<Boolean> versionedAttempt(
      Supplier<BoundStatement> write,
      Supplier<BoundStatement> read,
      Function<Row, T> map,
      Function<T, Long> version,
      long expectedVersion,
      Optional<T> after,
      int attempt) {
    return exec(write)
        .<CompletionStage<Boolean>>handle(
            (rs, t) -> {
              if (t == null) {
                return CompletableFuture.completedFuture(rs.wasApplied());
              }
              if (!isCasUncertain(t) || attempt >= CAS_ATTEMPTS) {
                return CompletableFuture.failedFuture(t);
              }
              log.debug("Lightweight transaction outcome unknown, reading back.", t);
              return exec(() -> read.get().setConsistencyLevel(serial))
                  .thenCompose(
                      readBack -> {
                        Row row = readBack.one();
                        Optional<T> current =
                            row == null ? Optional.empty() : Optional.of(map.apply(row));
                        if (current.equals(after)) {
                          return CompletableFuture.completedFuture(true);
                        }
                        if (current.isPresent()
                            && version.apply(current.get()) == expectedVersion) {
                          return versionedAttempt(
                              write, read, map, version, expectedVersion, after, attempt + 1);
                        }
                        return CompletableFuture.completedFuture(false);
                      });
            })
        .thenCompose(Function.identity());
  }

  /** An LWT whose repetition is harmless ({@code IF EXISTS} seals): retried when uncertain. */
  private CompletionStage<Void> idempotentCas(Supplier<BoundStatement> statement) {
    return mapped(idempotentAttempt(statement, 1));
  }

  private CompletionStage<Void> idempotentAttempt(Supplier<BoundStatement> statement, int n) {
    return exec(statement)
        .<CompletionStage<Void>>handle(
            (rs, t) -> {
              if (t == null) {
                return CompletableFuture.completedFuture(null);
              }
              if (isCasUncertain(t) && n < CAS_ATTEMPTS) {
                return idempotentAttempt(statement, n + 1);
              }
              return CompletableFuture.failedFuture(t);
            })
        .thenCompose(Function.identity());
  }

  private static boolean isCasUncertain(Throwable t) {
    Throwable e = unwrap(t);
    return e instanceof CASWriteUnknownException
        || (e instanceof WriteTimeoutException w
            && (w.getWriteType() == DefaultWriteType.CAS
                || w.getWriteType() == DefaultWriteType.SIMPLE));
  }

  /**
   * A listing: a clustering range from {@code prefix} (inclusive) or {@code startAfter}
   * (exclusive), whichever is later, up to the first name after every name with the prefix.
   */
  private <T> CompletionStage<List<T>> list(
      ListStatements statements,
      List<Object> partition,
      String prefix,
      String startAfter,
      int limit,
      Function<Row, T> map,
      Function<T, String> name) {
    String p = prefix == null ? "" : prefix;
    String after = startAfter == null ? "" : startAfter;
    if (limit <= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    boolean exclusive = !after.isEmpty() && Names.compare(after, p) >= 0;
    String lower = exclusive ? after : p;
    String upper = Names.successor(p);
    if (upper != null && Names.compare(lower, upper) >= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<Object> values = new ArrayList<>(partition);
    values.add(lower);
    if (upper != null) {
      values.add(upper);
    }
    values.add(limit);
    PreparedStatement ps = statements.pick(exclusive, upper != null);
    return mapped(
        exec(() -> ps.bind(values.toArray()))
            .thenCompose(CassandraMetadataStore::allRows)
            .thenApply(
                rows ->
                    rows.stream()
                        .map(map)
                        .filter(r -> name.apply(r).startsWith(p))
                        .limit(limit)
                        .toList()));
  }

  // ---------------------------------------------------------------- failures

  private static MetadataStoreException storeFailure(
      String what, CassandraSettings settings, Throwable t) {
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

  private static <T> T await(CompletionStage<T> stage, CassandraSettings settings, String what) {
    long limitMs =
        settings.connectTimeout().toMillis() * 3
            + SCHEMA_TIMEOUT.toMillis()
            + settings.requestTimeout().toMillis();
    try {
      return stage.toCompletableFuture().get(limitMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw storeFailure("cannot " + what, settings, e.getCause());
    } catch (TimeoutException e) {
      throw new MetadataStoreException(
          "cannot "
              + what
              + ": no answer from "
              + settings.contactPointsText()
              + " within "
              + limitMs
              + " ms",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MetadataStoreException("interrupted while trying to " + what, e);
    }
  }

  // ---------------------------------------------------------------- statements

  /** The four range variants of a listing: lower bound inclusive/exclusive, upper bound or not. */
  record ListStatements(
      PreparedStatement fromUnbounded,
      PreparedStatement fromBounded,
      PreparedStatement afterUnbounded,
      PreparedStatement afterBounded) {
    PreparedStatement pick(boolean exclusive, boolean bounded) {
      if (exclusive) {
        return bounded ? afterBounded : afterUnbounded;
      }
      return bounded ? fromBounded : fromUnbounded;
    }
  }

  /** Every prepared statement of the store. */
  record Statements(
      PreparedStatement insertBasin,
      PreparedStatement getBasin,
      ListStatements listBasins,
      PreparedStatement updateBasin,
      PreparedStatement deleteBasin,
      PreparedStatement insertStream,
      PreparedStatement getStream,
      ListStatements listStreams,
      PreparedStatement updateStream,
      PreparedStatement deleteStream,
      PreparedStatement getStreamState,
      PreparedStatement insertStreamState,
      PreparedStatement deleteStreamState,
      PreparedStatement createFirstStreamlet,
      PreparedStatement sealStreamlet,
      PreparedStatement listStreamlets,
      PreparedStatement deleteStreamlets,
      PreparedStatement addSegment,
      PreparedStatement listSegments,
      PreparedStatement deleteSegment,
      PreparedStatement putChannel,
      PreparedStatement getChannel,
      PreparedStatement listChannels,
      PreparedStatement sealChannel,
      PreparedStatement deleteChannel,
      PreparedStatement health,
      PreparedStatement updateStreamState,
      PreparedStatement createNextStreamlet,
      PreparedStatement latestStreamlet) {

    static CompletionStage<Statements> prepare(CqlSession session, String ks) {
      String basinCols = "account, name, config, created_at, deleted_at, create_token, version";
      String streamCols =
          "basin, name, stream_id, config, created_at, deleted_at, create_token, cipher, version";
      String createStreamlet =
          "UPDATE "
              + ks
              + ".streamlets SET latest_epoch = ?, channel_id = ?, first_chunk_seq = ?,"
              + " sealed_next_seq_num = ?, last_chunk_seq = ? WHERE stream_id = ? AND epoch = ?";
      List<String> cql =
          List.of(
              "INSERT INTO "
                  + ks
                  + ".basins ("
                  + basinCols
                  + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
                  + " IF NOT EXISTS",
              "SELECT * FROM " + ks + ".basins WHERE account = ? AND name = ?",
              "UPDATE "
                  + ks
                  + ".basins SET config = ?, created_at = ?, deleted_at = ?,"
                  + " create_token = ?, version = ? WHERE account = ? AND name = ? IF version = ?",
              "DELETE FROM " + ks + ".basins WHERE account = ? AND name = ? IF version = ?",
              "INSERT INTO "
                  + ks
                  + ".streams ("
                  + streamCols
                  + ")"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
              "SELECT * FROM " + ks + ".streams WHERE basin = ? AND name = ?",
              "UPDATE "
                  + ks
                  + ".streams SET stream_id = ?, config = ?, created_at = ?,"
                  + " deleted_at = ?, create_token = ?, cipher = ?, version = ?"
                  + " WHERE basin = ? AND name = ? IF version = ?",
              "DELETE FROM " + ks + ".streams WHERE basin = ? AND name = ? IF version = ?",
              "SELECT * FROM " + ks + ".stream_state WHERE stream_id = ?",
              "INSERT INTO "
                  + ks
                  + ".stream_state (stream_id, flushed_next_seq_num,"
                  + " tail_seq_num, tail_timestamp, fencing_token, trim_point, epoch)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
              "DELETE FROM " + ks + ".stream_state WHERE stream_id = ?",
              createStreamlet + " IF latest_epoch = null AND channel_id = null",
              "UPDATE "
                  + ks
                  + ".streamlets SET sealed_next_seq_num = ?, last_chunk_seq = ?"
                  + " WHERE stream_id = ? AND epoch = ? IF latest_epoch = ? AND channel_id != null"
                  + " AND sealed_next_seq_num = null AND last_chunk_seq = null",
              "SELECT * FROM " + ks + ".streamlets WHERE stream_id = ?",
              "DELETE FROM " + ks + ".streamlets WHERE stream_id = ? AND epoch < ?",
              "INSERT INTO "
                  + ks
                  + ".segments (stream_id, first_seq_num, last_seq_num,"
                  + " first_timestamp, last_timestamp, object_key, bytes)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
              "SELECT * FROM " + ks + ".segments WHERE stream_id = ?",
              "DELETE FROM " + ks + ".segments WHERE stream_id = ? AND first_seq_num = ?",
              "INSERT INTO "
                  + ks
                  + ".channels (channel_id, node, storage_class, started_at,"
                  + " seal_chunk_seq) VALUES (?, ?, ?, ?, ?)",
              "SELECT * FROM " + ks + ".channels WHERE channel_id = ?",
              "SELECT * FROM " + ks + ".channels",
              "UPDATE " + ks + ".channels SET seal_chunk_seq = ? WHERE channel_id = ? IF EXISTS",
              "DELETE FROM " + ks + ".channels WHERE channel_id = ?",
              "SELECT release_version FROM system.local",
              "UPDATE "
                  + ks
                  + ".stream_state SET flushed_next_seq_num = ?, tail_seq_num = ?,"
                  + " tail_timestamp = ?, fencing_token = ?, trim_point = ?, epoch = ?"
                  + " WHERE stream_id = ? IF epoch = ? AND flushed_next_seq_num = ?",
              createStreamlet + " IF latest_epoch = ? AND channel_id = null",
              "SELECT latest_epoch, stream_id, epoch, channel_id, first_chunk_seq,"
                  + " sealed_next_seq_num, last_chunk_seq FROM "
                  + ks
                  + ".streamlets WHERE stream_id = ? ORDER BY epoch DESC LIMIT 1");
      List<String> listCql = new ArrayList<>();
      for (String table : List.of("basins WHERE account = ?", "streams WHERE basin = ?")) {
        String base = "SELECT * FROM " + ks + "." + table;
        listCql.add(base + " AND name >= ? LIMIT ?");
        listCql.add(base + " AND name >= ? AND name < ? LIMIT ?");
        listCql.add(base + " AND name > ? LIMIT ?");
        listCql.add(base + " AND name > ? AND name < ? LIMIT ?");
      }
      List<CompletableFuture<PreparedStatement>> futures = new ArrayList<>();
      for (String s : cql) {
        futures.add(session.prepareAsync(s).toCompletableFuture());
      }
      for (String s : listCql) {
        futures.add(session.prepareAsync(s).toCompletableFuture());
      }
      return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .thenApply(
              v -> {
                List<PreparedStatement> p = futures.stream().map(CompletableFuture::join).toList();
                int n = cql.size();
                ListStatements basins =
                    new ListStatements(p.get(n), p.get(n + 1), p.get(n + 2), p.get(n + 3));
                ListStatements streams =
                    new ListStatements(p.get(n + 4), p.get(n + 5), p.get(n + 6), p.get(n + 7));
                return new Statements(
                    p.get(0), p.get(1), basins, p.get(2), p.get(3), p.get(4), p.get(5), streams,
                    p.get(6), p.get(7), p.get(8), p.get(9), p.get(10), p.get(11), p.get(12),
                    p.get(13), p.get(14), p.get(15), p.get(16), p.get(17), p.get(18), p.get(19),
                    p.get(20), p.get(21), p.get(22), p.get(23), p.get(24), p.get(25), p.get(26));
              });
    }
  }
}
