package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamStateRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Table {@code stream_state}: {@link #put} is a compare-and-set loop on {@code (epoch,
 * flushed_next_seq_num)} that never regresses the row (docs/metadata.md, "Fenced owner writes").
 */
final class CassandraStreamState extends CassandraTable implements MetadataTables.StreamStates {

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);

  private static final String GET = "SELECT * FROM ${keyspace}.stream_state WHERE stream_id = ?";
  private static final String INSERT =
      "INSERT INTO ${keyspace}.stream_state (stream_id, flushed_next_seq_num,"
          + " tail_seq_num, tail_timestamp, fencing_token, trim_point, epoch)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS";
  private static final String UPDATE =
      "UPDATE ${keyspace}.stream_state SET flushed_next_seq_num = ?, tail_seq_num = ?,"
          + " tail_timestamp = ?, fencing_token = ?, trim_point = ?, epoch = ?"
          + " WHERE stream_id = ? IF epoch = ? AND flushed_next_seq_num = ?";
  private static final String DELETE = "DELETE FROM ${keyspace}.stream_state WHERE stream_id = ?";

  /** The templates to prepare. */
  static final List<String> CQL = List.of(GET, INSERT, UPDATE, DELETE);

  CassandraStreamState(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  @Override
  public CompletionStage<Optional<StreamStateRecord>> get(String streamId) {
    return cql.one(
        statement(GET).bind(streamId),
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
  public CompletionStage<Boolean> put(StreamStateRecord s) {
    return cql.mapped(putAttempt(s, null, 1));
  }

  /**
   * One step of the compare-and-set loop: with {@code seen} null, insert if absent (a refused
   * insert returns the stored row); else update if the stored row still has {@code seen}'s epoch
   * and flushed position. A step that is refused because another writer moved the row is repeated
   * with the row it returns; an uncertain one starts again from the insert (our own write, if
   * applied, then reads as equal and is written again).
   */
  private CompletionStage<Boolean> putAttempt(StreamStateRecord s, long[] seen, int attempt) {
    return CasRetry.bounded(
        attempt,
        "stream state of " + s.streamId(),
        () ->
            cas.attempt(
                statement(s, seen),
                rs -> {
                  if (rs.wasApplied()) {
                    return CompletableFuture.completedFuture(true);
                  }
                  Row row = rs.one();
                  Long storedEpoch = Cql.resultLong(row, "epoch");
                  Long storedFlushed = Cql.resultLong(row, "flushed_next_seq_num");
                  if (storedEpoch == null || storedFlushed == null) {
                    return putAttempt(s, null, attempt + 1); // the row was deleted
                  }
                  long epoch = storedEpoch;
                  long flushed = storedFlushed;
                  if (s.regresses(epoch, flushed)) {
                    return CompletableFuture.completedFuture(false);
                  }
                  return putAttempt(s, new long[] {epoch, flushed}, attempt + 1);
                },
                t -> {
                  log.debug("Stream state CAS outcome unknown, trying again: {}", s, t);
                  return putAttempt(s, null, attempt + 1);
                }));
  }

  /** The insert (nothing seen yet) or the update conditional on what was seen. */
  private Supplier<BoundStatement> statement(StreamStateRecord s, long[] seen) {
    if (seen == null) {
      return () -> statement(INSERT).bind(s.columnValues());
    }
    return () ->
        statement(UPDATE)
            .bind(
                s.flushedNextSeqNum(),
                s.tailSeqNum(),
                s.tailTimestamp(),
                s.fencingToken(),
                s.trimPoint(),
                s.epoch(),
                s.streamId(),
                seen[0],
                seen[1]);
  }

  @Override
  public CompletionStage<Void> delete(String streamId) {
    return cql.write(() -> statement(DELETE).bind(streamId));
  }
}
