package io.millrace.metadata.cassandra;

import static io.millrace.metadata.cassandra.CassandraSchema.MIGRATIONS;
import static io.millrace.metadata.cassandra.CassandraSchema.SCHEMA_TIMEOUT;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.TableMetadataStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link MetadataStore}: a Cassandra keyspace (tables documented in docs/metadata.md,
 * "Cassandra"), through the DataStax/Apache Java driver 4 asynchronous API with prepared
 * statements. The schema lives in versioned CQL resource files {@code V<n>__<name>.cql} next to
 * this class; {@link #applySchema} (also run at open) creates the keyspace and applies the files
 * not yet recorded in its {@code schema_version} table ({@link CassandraSchema}).
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
 *
 * <p>This class connects; {@link TableMetadataStore} delegates each table to its own class ({@link
 * CassandraBasins}, {@link CassandraStreams}, {@link CassandraStreamState}, {@link
 * CassandraStreamlets}, {@link CassandraSegments}, {@link CassandraChannels}, {@link
 * CassandraAccountSettings}); they run statements through {@link Cql}, their lightweight
 * transactions and retries through {@link CasRetry}.
 */
public final class CassandraMetadataStore extends TableMetadataStore {

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);
  private static final Duration RECONNECTION_MAX_DELAY = Duration.ofSeconds(2);
  private static final String HEALTH = "SELECT release_version FROM system.local";

  private final Cql cql;
  private final PreparedStatement health;

  private CassandraMetadataStore(Cql cql, Prepared prepared) {
    this(cql, prepared, new CasRetry(cql));
  }

  private CassandraMetadataStore(Cql cql, Prepared prepared, CasRetry cas) {
    super(
        new CassandraBasins(cql, cas, prepared),
        new CassandraStreams(cql, cas, prepared),
        new CassandraStreamState(cql, cas, prepared),
        new CassandraStreamlets(cql, cas, prepared),
        new CassandraSegments(cql, cas, prepared),
        new CassandraChannels(cql, cas, prepared),
        new CassandraAccessTokens(cql, cas, prepared),
        new CassandraAccountSettings(cql, cas, prepared));
    this.cql = cql;
    this.health = prepared.get(HEALTH);
  }

  /** Every statement template of the store, to prepare at open. */
  private static List<String> statements() {
    List<String> all = new ArrayList<>();
    all.add(HEALTH);
    all.addAll(CassandraBasins.SPEC.cql());
    all.addAll(CassandraStreams.SPEC.cql());
    all.addAll(CassandraStreamState.CQL);
    all.addAll(CassandraStreamlets.CQL);
    all.addAll(CassandraSegments.CQL);
    all.addAll(CassandraChannels.CQL);
    all.addAll(CassandraAccessTokens.CQL);
    all.addAll(CassandraAccountSettings.CQL);
    return all;
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
                CassandraSchema.migrate(session, settings)
                    .thenCompose(
                        applied -> Prepared.prepare(session, settings.keyspace(), statements()))
                    .thenApply(
                        prepared -> {
                          log.info(
                              "Cassandra metadata store opened: keyspace {} at {} (schema version"
                                  + " {}).",
                              settings.keyspace(),
                              settings.contactPointsText(),
                              MIGRATIONS.latest());
                          return new CassandraMetadataStore(new Cql(settings, session), prepared);
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
                  Cql.storeFailure("cannot open the Cassandra metadata store", settings, t));
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
                    CassandraSchema.migrate(session, settings)
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

  // ---------------------------------------------------------------- health, close

  @Override
  public CompletionStage<Boolean> healthy() {
    if (cql.closed()) {
      return CompletableFuture.completedFuture(false);
    }
    try {
      return cql.session()
          .executeAsync(health.bind())
          .handle((rs, t) -> t == null && rs.one() != null);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(false);
    }
  }

  @Override
  public void close() {
    if (cql.closed()) {
      return;
    }
    cql.markClosed();
    CqlSession session = cql.session();
    try {
      session.closeAsync().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "Closing the Cassandra session of keyspace {} failed.", cql.settings().keyspace(), e);
      session.forceCloseAsync();
    }
  }

  // ---------------------------------------------------------------- blocking entry points

  private static <T> T await(CompletionStage<T> stage, CassandraSettings settings, String what) {
    long limitMs =
        settings.connectTimeout().toMillis() * 3
            + SCHEMA_TIMEOUT.toMillis()
            + settings.requestTimeout().toMillis();
    try {
      return stage.toCompletableFuture().get(limitMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw Cql.storeFailure("cannot " + what, settings, e.getCause());
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
}
