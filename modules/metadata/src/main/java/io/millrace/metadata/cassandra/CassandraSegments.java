package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.SegmentRecord;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code segments}, one partition per stream: the fenced {@link #add} is {@code IF NOT
 * EXISTS}.
 */
final class CassandraSegments extends CassandraTable implements MetadataTables.Segments {

  private static final String INSERT =
      "INSERT INTO ${keyspace}.segments (stream_id, first_seq_num, last_seq_num,"
          + " first_timestamp, last_timestamp, object_key, bytes)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS";
  private static final String LIST = "SELECT * FROM ${keyspace}.segments WHERE stream_id = ?";
  private static final String DELETE =
      "DELETE FROM ${keyspace}.segments WHERE stream_id = ? AND first_seq_num = ?";

  /** The templates to prepare. */
  static final List<String> CQL = List.of(INSERT, LIST, DELETE);

  CassandraSegments(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  /** Inserts the row if its key is free; true also if an identical row is there. */
  @Override
  public CompletionStage<Boolean> add(SegmentRecord s) {
    return cas.create(() -> statement(INSERT).bind(s.columnValues()), s, CassandraSegments::row)
        .thenApply(
            r ->
                r instanceof CreateResult.Created<SegmentRecord>
                    || (r instanceof CreateResult.AlreadyExists<SegmentRecord> a
                        && a.existing().equals(s)));
  }

  @Override
  public CompletionStage<List<SegmentRecord>> list(String streamId) {
    return cql.all(statement(LIST).bind(streamId), CassandraSegments::row);
  }

  @Override
  public CompletionStage<Void> delete(String streamId, long firstSeqNum) {
    return cql.write(() -> statement(DELETE).bind(streamId, firstSeqNum));
  }

  private static SegmentRecord row(Row r) {
    return new SegmentRecord(
        r.getString("stream_id"),
        r.getLong("first_seq_num"),
        r.getLong("last_seq_num"),
        r.getLong("first_timestamp"),
        r.getLong("last_timestamp"),
        r.getString("object_key"),
        r.getLong("bytes"));
  }
}
