package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.core.KeyOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * A listing by name within one partition ({@code basins}, {@code streams}): a clustering range from
 * {@code prefix} (inclusive) or {@code startAfter} (exclusive), whichever is later, up to the first
 * name after every name with the prefix ({@link Names#successor}). It has four prepared variants:
 * lower bound inclusive or exclusive, with or without an upper bound.
 */
final class NameListing {

  private final PreparedStatement fromUnbounded;
  private final PreparedStatement fromBounded;
  private final PreparedStatement afterUnbounded;
  private final PreparedStatement afterBounded;

  /**
   * The listing of {@code tableWhere} (a table and its partition condition, e.g. {@code streams
   * WHERE basin = ?}).
   */
  NameListing(Prepared prepared, String tableWhere) {
    this(prepared, tableWhere, "name");
  }

  /** As {@link #NameListing(Prepared, String)}, for a clustering column not called {@code name}. */
  NameListing(Prepared prepared, String tableWhere, String column) {
    List<String> cql = cql(tableWhere, column);
    this.fromUnbounded = prepared.get(cql.get(0));
    this.fromBounded = prepared.get(cql.get(1));
    this.afterUnbounded = prepared.get(cql.get(2));
    this.afterBounded = prepared.get(cql.get(3));
  }

  /** The templates of the four variants, to prepare. */
  static List<String> cql(String tableWhere) {
    return cql(tableWhere, "name");
  }

  /** The templates of the four variants over clustering column {@code column}, to prepare. */
  static List<String> cql(String tableWhere, String column) {
    String base = "SELECT * FROM ${keyspace}." + tableWhere;
    String c = " AND " + column;
    return List.of(
        base + c + " >= ? LIMIT ?",
        base + c + " >= ?" + c + " < ? LIMIT ?",
        base + c + " > ? LIMIT ?",
        base + c + " > ?" + c + " < ? LIMIT ?");
  }

  private PreparedStatement pick(boolean exclusive, boolean bounded) {
    if (exclusive) {
      return bounded ? afterBounded : afterUnbounded;
    }
    return bounded ? fromBounded : fromUnbounded;
  }

  /** Rows of {@code partition} starting with prefix, strictly after startAfter, at most limit. */
  <T> CompletionStage<List<T>> list(
      Cql cql,
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
    boolean exclusive = !after.isEmpty() && KeyOrder.compare(after, p) >= 0;
    String lower = exclusive ? after : p;
    String upper = Names.successor(p);
    if (upper != null && KeyOrder.compare(lower, upper) >= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<Object> values = new ArrayList<>(partition);
    values.add(lower);
    if (upper != null) {
      values.add(upper);
    }
    values.add(limit);
    PreparedStatement ps = pick(exclusive, upper != null);
    return cql.mapped(
        cql.exec(() -> ps.bind(values.toArray()))
            .thenCompose(Cql::allRows)
            .thenApply(
                rows ->
                    rows.stream()
                        .map(map)
                        .filter(r -> name.apply(r).startsWith(p))
                        .limit(limit)
                        .toList()));
  }
}
