package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.MeteringRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Table {@code metering}: upserts by full key, range reads of one series partition. */
record SqliteMetering(SqliteExecutor db) implements MetadataTables.Metering {

  private static final String COLUMNS = "basin, stream, metric, width, bucket, label, node, value";
  private static final String UPSERT =
      "INSERT INTO metering("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT(basin, stream, metric, width, bucket, label, node)"
          + " DO UPDATE SET value = excluded.value";
  private static final String LIST =
      "SELECT "
          + COLUMNS
          + " FROM metering WHERE basin = ? AND stream = ? AND metric = ? AND width = ?"
          + " AND bucket >= ? AND bucket <= ? ORDER BY bucket, label, node";
  private static final String DELETE_BEFORE = "DELETE FROM metering WHERE bucket < ?";

  /** All rows in one transaction. */
  @Override
  public CompletionStage<Void> put(List<MeteringRecord> rows) {
    List<MeteringRecord> copy = List.copyOf(rows);
    return db.write(
        "put " + copy.size() + " metering rows",
        c -> {
          for (MeteringRecord r : copy) {
            Sql.update(c, UPSERT, r.columnValues());
          }
          return null;
        });
  }

  @Override
  public CompletionStage<List<MeteringRecord>> list(
      String basin, String stream, String metric, long width, long fromBucket, long toBucket) {
    return db.list(
        "list metering " + metric + " of '" + basin + "'",
        LIST,
        SqliteMetering::row,
        basin,
        stream,
        metric,
        width,
        fromBucket,
        toBucket);
  }

  @Override
  public CompletionStage<Void> deleteBefore(long bucket) {
    return db.execute("delete metering before " + bucket, DELETE_BEFORE, bucket);
  }

  private static MeteringRecord row(ResultSet rs) throws SQLException {
    return new MeteringRecord(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getString(7),
        rs.getLong(8));
  }
}
