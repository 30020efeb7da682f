package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamStateRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code stream_state}: the fenced {@link #put} reads and writes in one transaction and never
 * regresses the row (docs/metadata.md, "Fenced owner writes").
 */
record SqliteStreamState(SqliteExecutor db) implements MetadataTables.StreamStates {

  private static final String GET =
      "SELECT stream_id, flushed_next_seq_num, tail_seq_num, tail_timestamp,"
          + " fencing_token, trim_point, epoch FROM stream_state WHERE stream_id = ?";
  private static final String GET_POSITION =
      "SELECT epoch, flushed_next_seq_num FROM stream_state WHERE stream_id = ?";
  private static final String PUT =
      "INSERT OR REPLACE INTO stream_state(stream_id, flushed_next_seq_num,"
          + " tail_seq_num, tail_timestamp, fencing_token, trim_point, epoch)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final String DELETE = "DELETE FROM stream_state WHERE stream_id = ?";

  @Override
  public CompletionStage<Optional<StreamStateRecord>> get(String streamId) {
    return db.one("get stream state " + streamId, GET, SqliteStreamState::row, streamId);
  }

  /** Applied unless the stored row has a higher epoch, or the same epoch and a higher position. */
  @Override
  public CompletionStage<Boolean> put(StreamStateRecord s) {
    Objects.requireNonNull(s, "state");
    return db.write(
        "put stream state " + s.streamId(),
        c -> {
          Optional<long[]> stored =
              Sql.one(
                  c, GET_POSITION, rs -> new long[] {rs.getLong(1), rs.getLong(2)}, s.streamId());
          if (stored.isPresent() && s.regresses(stored.get()[0], stored.get()[1])) {
            return false;
          }
          Sql.update(c, PUT, s.columnValues());
          return true;
        });
  }

  @Override
  public CompletionStage<Void> delete(String streamId) {
    return db.execute("delete stream state " + streamId, DELETE, streamId);
  }

  private static StreamStateRecord row(ResultSet rs) throws SQLException {
    return new StreamStateRecord(
        rs.getString(1),
        rs.getLong(2),
        rs.getLong(3),
        rs.getLong(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getLong(7));
  }
}
