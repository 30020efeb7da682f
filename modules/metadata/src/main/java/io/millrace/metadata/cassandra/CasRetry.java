package io.millrace.metadata.cassandra;

import static io.millrace.core.Failures.unwrap;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStoreException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lightweight transactions and their retries, in one place. When Cassandra cannot tell whether a
 * transaction was applied (a CAS write timeout, {@code CASWriteUnknown}), the store resolves the
 * outcome itself: {@link #attempt} hands such a failure to the caller's resolution, everything else
 * to the caller's result handling. Plain retries of an uncertain outcome are bounded by {@link
 * #UNCERTAIN_ATTEMPTS}; compare-and-set loops, where every refused step means another writer moved
 * first, by {@link #LOOP_ATTEMPTS} ({@link #bounded}).
 */
final class CasRetry {

  /** Attempts of one LWT whose outcome stays unknown. */
  static final int UNCERTAIN_ATTEMPTS = 4;

  /** Bound of a compare-and-set loop; every refused step means another writer moved first. */
  static final int LOOP_ATTEMPTS = 16;

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);

  private final Cql cql;

  CasRetry(Cql cql) {
    this.cql = cql;
  }

  /**
   * Runs one lightweight transaction. Completes with {@code onResult} of its result; if it failed
   * with an uncertain outcome and {@code onUncertain} is not null, with {@code onUncertain} of the
   * failure; otherwise with the failure (unmapped: wrap the whole operation in {@link Cql#mapped}).
   */
  <R> CompletionStage<R> attempt(
      Supplier<BoundStatement> lwt,
      Function<AsyncResultSet, CompletionStage<R>> onResult,
      Function<Throwable, CompletionStage<R>> onUncertain) {
    return cql.exec(lwt)
        .<CompletionStage<R>>handle(
            (rs, t) -> {
              if (t == null) {
                return onResult.apply(rs);
              }
              if (onUncertain != null && isCasUncertain(t)) {
                return onUncertain.apply(t);
              }
              return CompletableFuture.failedFuture(t);
            })
        .thenCompose(Function.identity());
  }

  /**
   * Step {@code attempt} of a compare-and-set loop on {@code what}: runs {@code step} unless the
   * loop has used up {@link #LOOP_ATTEMPTS}; then fails with MetadataStoreException.
   */
  static <R> CompletionStage<R> bounded(
      int attempt, String what, Supplier<CompletionStage<R>> step) {
    if (attempt > LOOP_ATTEMPTS) {
      return CompletableFuture.failedFuture(
          new MetadataStoreException(
              what + " kept changing under " + LOOP_ATTEMPTS + " compare-and-set attempts", null));
    }
    return step.get();
  }

  /**
   * A create-if-absent LWT: Created if applied; AlreadyExists with the row Cassandra returns
   * otherwise. An uncertain outcome is resolved by trying again: finding exactly our row means our
   * earlier attempt was applied.
   */
  <T> CompletionStage<CreateResult<T>> create(
      Supplier<BoundStatement> insert, T mine, Function<Row, T> map) {
    return cql.mapped(createAttempt(insert, mine, map, 1, false));
  }

  private <T> CompletionStage<CreateResult<T>> createAttempt(
      Supplier<BoundStatement> insert, T mine, Function<Row, T> map, int attempt, boolean unsure) {
    return attempt(
        insert,
        rs -> {
          if (rs.wasApplied()) {
            return CompletableFuture.completedFuture(new CreateResult.Created<>(mine));
          }
          T existing = map.apply(rs.one());
          return CompletableFuture.completedFuture(
              unsure && existing.equals(mine)
                  ? new CreateResult.Created<>(mine)
                  : new CreateResult.AlreadyExists<>(existing));
        },
        attempt < UNCERTAIN_ATTEMPTS
            ? t -> {
              log.debug("Lightweight transaction outcome unknown, retrying: {}", mine, t);
              return createAttempt(insert, mine, map, attempt + 1, true);
            }
            : null);
  }

  /**
   * A version-checked LWT update or delete ({@code write}) of the row that {@code read} reads back;
   * {@code after} is the row the write leaves (empty for a delete).
   */
  record Versioned<T>(
      Supplier<BoundStatement> write,
      Supplier<BoundStatement> read,
      Function<Row, T> map,
      Function<T, Long> version,
      long expectedVersion,
      Optional<T> after) {}

  /**
   * Runs a version-checked write. If the outcome is unknown, a serial read decides: our row (or,
   * for a delete, no row: {@code after} empty) means it was applied; the expected version means try
   * again; anything else means another writer won.
   */
  <T> CompletionStage<Boolean> versioned(Versioned<T> v) {
    return cql.mapped(versionedAttempt(v, 1));
  }

  private <T> CompletionStage<Boolean> versionedAttempt(Versioned<T> v, int attempt) {
    return attempt(
        v.write(),
        rs -> CompletableFuture.completedFuture(rs.wasApplied()),
        attempt < UNCERTAIN_ATTEMPTS ? t -> readBack(v, attempt, t) : null);
  }

  private <T> CompletionStage<Boolean> readBack(Versioned<T> v, int attempt, Throwable uncertain) {
    log.debug("Lightweight transaction outcome unknown, reading back.", uncertain);
    return cql.exec(() -> cql.atSerial(v.read().get()))
        .thenCompose(
            readBack -> {
              Row row = readBack.one();
              Optional<T> current =
                  row == null ? Optional.empty() : Optional.of(v.map().apply(row));
              if (current.equals(v.after())) {
                return CompletableFuture.completedFuture(true);
              }
              if (current.isPresent() && v.version().apply(current.get()) == v.expectedVersion()) {
                return versionedAttempt(v, attempt + 1);
              }
              return CompletableFuture.completedFuture(false);
            });
  }

  /** An LWT whose repetition is harmless ({@code IF EXISTS} seals): retried when uncertain. */
  CompletionStage<Void> idempotent(Supplier<BoundStatement> statement) {
    return cql.mapped(idempotentAttempt(statement, 1));
  }

  private CompletionStage<Void> idempotentAttempt(Supplier<BoundStatement> statement, int n) {
    return attempt(
        statement,
        rs -> CompletableFuture.completedFuture(null),
        n < UNCERTAIN_ATTEMPTS ? t -> idempotentAttempt(statement, n + 1) : null);
  }

  /** True if Cassandra could not tell whether the (CAS or plain) write was applied. */
  static boolean isCasUncertain(Throwable t) {
    Throwable e = unwrap(t);
    return e instanceof CASWriteUnknownException
        || (e instanceof WriteTimeoutException w
            && (w.getWriteType() == DefaultWriteType.CAS
                || w.getWriteType() == DefaultWriteType.SIMPLE));
  }
}
