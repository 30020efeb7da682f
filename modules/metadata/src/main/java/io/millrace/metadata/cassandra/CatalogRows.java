package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.CreateResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The control-plane catalogue rows of one table ({@code basins}, {@code streams}): a row per name
 * within a partition, created {@code IF NOT EXISTS}, replaced and deleted {@code IF version = ?}
 * (lightweight transactions through {@link CasRetry}), read by key and listed by name ({@link
 * NameListing}). The table class supplies its statements and binds their values.
 */
final class CatalogRows<T> {

  /** The statement templates of a catalogue table, and how its rows map to records. */
  record Spec<T>(
      String insert,
      String get,
      String update,
      String delete,
      String listWhere,
      Function<Row, T> map,
      Function<T, Long> version,
      Function<T, String> name) {

    /** The templates to prepare. */
    List<String> cql() {
      List<String> all = new ArrayList<>(List.of(insert, get, update, delete));
      all.addAll(NameListing.cql(listWhere));
      return all;
    }
  }

  private final Spec<T> spec;
  private final Cql cql;
  private final CasRetry cas;
  private final PreparedStatement insert;
  private final PreparedStatement get;
  private final PreparedStatement update;
  private final PreparedStatement delete;
  private final NameListing listing;

  CatalogRows(Spec<T> spec, Cql cql, CasRetry cas, Prepared prepared) {
    this.spec = spec;
    this.cql = cql;
    this.cas = cas;
    this.insert = prepared.get(spec.insert());
    this.get = prepared.get(spec.get());
    this.update = prepared.get(spec.update());
    this.delete = prepared.get(spec.delete());
    this.listing = new NameListing(prepared, spec.listWhere());
  }

  /** Inserts {@code row} (the insert's values from {@code values}) if its key is free. */
  CompletionStage<CreateResult<T>> create(T row, Supplier<Object[]> values) {
    return cas.create(() -> insert.bind(values.get()), row, spec.map());
  }

  /** The row with this key (the get's values). */
  CompletionStage<Optional<T>> get(Object... key) {
    return cql.one(get.bind(key), spec.map());
  }

  CompletionStage<List<T>> list(
      List<Object> partition, String prefix, String startAfter, int limit) {
    return listing.list(cql, partition, prefix, startAfter, limit, spec.map(), spec.name());
  }

  /**
   * Replaces the row with {@code row} if its version is {@code expectedVersion}; {@code values} are
   * the update's values, {@code key} the get's.
   */
  CompletionStage<Boolean> update(
      T row, long expectedVersion, Supplier<Object[]> values, Object... key) {
    return cas.versioned(
        () -> update.bind(values.get()),
        () -> get.bind(key),
        spec.map(),
        spec.version(),
        expectedVersion,
        Optional.of(row));
  }

  /**
   * Removes the row if its version is {@code expectedVersion}; {@code key} are the get's values.
   */
  CompletionStage<Boolean> delete(long expectedVersion, Object... key) {
    List<Object> values = new ArrayList<>(Arrays.asList(key));
    values.add(expectedVersion);
    return cas.versioned(
        () -> delete.bind(values.toArray()),
        () -> get.bind(key),
        spec.map(),
        spec.version(),
        expectedVersion,
        Optional.empty());
  }
}
