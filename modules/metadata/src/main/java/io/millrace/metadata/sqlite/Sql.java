package io.millrace.metadata.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** JDBC helpers of the SQLite tables: parameter binding, queries, value conversions. */
final class Sql {
  private Sql() {}

  /** Maps the current row of a result set. */
  @FunctionalInterface
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Runs an INSERT, UPDATE or DELETE with {@code values} bound in order; the rows changed. */
  static int update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, values);
      return ps.executeUpdate();
    }
  }

  /** {@link #update} for a write whose count does not matter; returns null (for {@code Void}). */
  static Void execute(Connection c, String sql, Object... values) throws SQLException {
    update(c, sql, values);
    return null;
  }

  /** The first row of a query, mapped, or empty. */
  static <T> Optional<T> one(Connection c, String sql, RowMapper<T> map, Object... values)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, values);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(map.map(rs)) : Optional.empty();
      }
    }
  }

  /** Every row of a query, mapped, in result order. */
  static <T> List<T> list(Connection c, String sql, RowMapper<T> map, Object... values)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, values);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(map.map(rs));
        }
      }
      return out;
    }
  }

  /** Binds {@code values} (null, String, Long or Integer) to parameters 1, 2, ... */
  static void bind(PreparedStatement ps, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      if (v == null) {
        ps.setNull(i + 1, Types.NULL);
      } else if (v instanceof String s) {
        ps.setString(i + 1, s);
      } else if (v instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (v instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else {
        throw new IllegalStateException("no SQL binding for " + v.getClass().getName());
      }
    }
  }

  /** The values of {@code parts}, one after another: the parameters of a statement, in order. */
  static Object[] concat(List<?>... parts) {
    List<Object> out = new ArrayList<>();
    for (List<?> part : parts) {
      out.addAll(part);
    }
    return out.toArray();
  }

  static void requireLimit(int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
  }

  /** An instant as stored: ISO-8601 UTC text with full precision. */
  static String text(Instant i) {
    return i == null ? null : i.toString();
  }

  static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  /** A nullable integer column. */
  static Long nullableLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }

  /**
   * The WHERE condition of a name listing: strictly after {@code startAfter}, starting with {@code
   * prefix}. A prefix is a range {@code [prefix, prefix + U+10FFFF)} (cheap on the primary key)
   * plus an exact prefix test.
   */
  record NameRange(String column, String prefix, String startAfter) {
    String sql() {
      StringBuilder sb = new StringBuilder(column).append(" > ?");
      if (hasPrefix()) {
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

    /**
     * The parameters of a listing {@code ... WHERE <partition> AND <sql()> ... LIMIT ?}: the
     * partition key, the range and the limit, in order.
     */
    Object[] values(List<?> partition, int limit) {
      return concat(partition, values(), List.of(limit));
    }

    /** The values of the parameters of {@link #sql()}, in order. */
    List<Object> values() {
      List<Object> out = new ArrayList<>();
      out.add(startAfter == null ? "" : startAfter);
      if (hasPrefix()) {
        out.add(prefix);
        out.add(prefix + "\uDBFF\uDFFF");
        out.add(prefix);
        out.add(prefix);
      }
      return out;
    }

    private boolean hasPrefix() {
      return prefix != null && !prefix.isEmpty();
    }
  }
}
