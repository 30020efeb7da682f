package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.MeteringRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code metering}: plain upserts (every row is written whole and idempotently, so no
 * lightweight transaction is needed), clustering-range reads of one partition. Rows expire by the
 * table's 32-day time to live, so {@link #deleteBefore} has nothing to do.
 */
final class CassandraMetering extends CassandraTable implements MetadataTables.Metering {

  private static final String UPSERT =
      "INSERT INTO ${keyspace}.metering (basin, stream, metric, width, bucket, label, node, value)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String LIST =
      "SELECT * FROM ${keyspace}.metering WHERE basin = ? AND stream = ? AND metric = ?"
          + " AND width = ? AND bucket >= ? AND bucket <= ?";

  /** The templates to prepare. */
  static final List<String> CQL = List.of(UPSERT, LIST);

  CassandraMetering(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  @Override
  public CompletionStage<Void> put(List<MeteringRecord> rows) {
    CompletableFuture<?>[] writes =
        rows.stream()
            .map(
                r ->
                    cql.write(() -> statement(UPSERT).bind(r.columnValues())).toCompletableFuture())
            .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(writes);
  }

  @Override
  public CompletionStage<List<MeteringRecord>> list(
      String basin, String stream, String metric, long width, long fromBucket, long toBucket) {
    return cql.all(
        statement(LIST).bind(basin, stream, metric, width, fromBucket, toBucket),
        CassandraMetering::row);
  }

  @Override
  public CompletionStage<Void> deleteBefore(long bucket) {
    return CompletableFuture.completedFuture(null);
  }

  private static MeteringRecord row(Row r) {
    return new MeteringRecord(
        r.getString("basin"),
        r.getString("stream"),
        r.getString("metric"),
        r.getLong("width"),
        r.getLong("bucket"),
        r.getString("label"),
        r.getString("node"),
        r.getLong("value"));
  }
}
