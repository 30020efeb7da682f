package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.BoundStatement;
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
 * NameListing}). The table class supplies its statements and a row's values: its key (the partition
 * and the name) and its other columns, in the order the statements name them (insert: key, then
 * columns; update: columns, then key and expected version).
 */
final class CatalogRows<T> {

  /**
   * The statement templates of a catalogue table, how its rows map to records, and a record's key
   * values and other column values (each in column order).
   */
  record Spec<T>(
      String insert,
      String get,
      String update,
      String delete,
      String listWhere,
      Function<Row, T> map,
      Function<T, Long> version,
      Function<T, String> name,
      Function<T, List<Object>> key,
      Function<T, List<Object>> columns) {

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

  /** Inserts {@code row} if its key is free. */
  CompletionStage<CreateResult<T>> create(T row) {
    return cas.create(
        () -> insert.bind(values(spec.key().apply(row), spec.columns().apply(row))),
        row,
        spec.map());
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
   * Replaces the row with {@code row}'s key by {@code row} if its version is {@code
   * expectedVersion}.
   */
  CompletionStage<Boolean> update(T row, long expectedVersion) {
    List<Object> key = spec.key().apply(row);
    return versioned(
        () -> update.bind(values(spec.columns().apply(row), key, List.of(expectedVersion))),
        expectedVersion,
        Optional.of(row),
        key);
  }

  /**
   * Removes the row if its version is {@code expectedVersion}; {@code key} are the get's values.
   */
  CompletionStage<Boolean> delete(long expectedVersion, Object... key) {
    List<Object> keyValues = Arrays.asList(key);
    return versioned(
        () -> delete.bind(values(keyValues, List.of(expectedVersion))),
        expectedVersion,
        Optional.empty(),
        keyValues);
  }

  /**
   * A version-checked write of the row with {@code key}; {@code after} is the row it leaves (empty
   * for a delete), which is how a read-back recognises it as applied.
   */
  private CompletionStage<Boolean> versioned(
      Supplier<BoundStatement> write, long expectedVersion, Optional<T> after, List<Object> key) {
    return cas.versioned(
        new CasRetry.Versioned<>(
            write,
            () -> get.bind(key.toArray()),
            spec.map(),
            spec.version(),
            expectedVersion,
            after));
  }

  /** The values of {@code parts}, one after another. */
  private static Object[] values(List<?>... parts) {
    List<Object> out = new ArrayList<>();
    for (List<?> part : parts) {
      out.addAll(part);
    }
    return out.toArray();
  }
}
