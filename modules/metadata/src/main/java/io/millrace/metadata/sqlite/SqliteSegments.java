package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.SegmentRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/** Table {@code segments}: the fenced {@link #add} is an insert-if-absent. */
record SqliteSegments(SqliteExecutor db) implements MetadataTables.Segments {

  private static final String COLUMNS =
      "stream_id, first_seq_num, last_seq_num, first_timestamp, last_timestamp, object_key, bytes";
  private static final String INSERT =
      "INSERT INTO segments("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(stream_id, first_seq_num) DO NOTHING";
  private static final String GET =
      "SELECT " + COLUMNS + " FROM segments WHERE stream_id = ? AND first_seq_num = ?";
  private static final String LIST =
      "SELECT " + COLUMNS + " FROM segments WHERE stream_id = ? ORDER BY first_seq_num";
  private static final String DELETE =
      "DELETE FROM segments WHERE stream_id = ? AND first_seq_num = ?";

  /** Inserts the row if its key is free; true also if an identical row is there. */
  @Override
  public CompletionStage<Boolean> add(SegmentRecord s) {
    Objects.requireNonNull(s, "segment");
    return db.write(
        "add segment " + s.objectKey(),
        c -> {
          int inserted = Sql.update(c, INSERT, s.columnValues());
          if (inserted == 1) {
            return true;
          }
          return Sql.one(c, GET, SqliteSegments::row, s.streamId(), s.firstSeqNum())
              .map(s::equals)
              .orElse(false);
        });
  }

  @Override
  public CompletionStage<List<SegmentRecord>> list(String streamId) {
    return db.list("list segments of " + streamId, LIST, SqliteSegments::row, streamId);
  }

  @Override
  public CompletionStage<Void> delete(String streamId, long firstSeqNum) {
    return db.execute(
        "delete segment " + streamId + "@" + firstSeqNum, DELETE, streamId, firstSeqNum);
  }

  private static SegmentRecord row(ResultSet rs) throws SQLException {
    return new SegmentRecord(
        rs.getString(1),
        rs.getLong(2),
        rs.getLong(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getLong(7));
  }
}
