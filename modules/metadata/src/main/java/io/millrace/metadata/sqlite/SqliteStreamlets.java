package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamletRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Tables {@code streamlets} and {@code streamlet_epochs} (the highest epoch ever created or claimed
 * per stream). The fenced {@link #create}, {@link #seal} and {@link #claim} read and write in one
 * transaction (docs/metadata.md, "Fenced owner writes").
 */
record SqliteStreamlets(SqliteExecutor db) implements MetadataTables.Streamlets {

  private static final String LATEST_EPOCH =
      "SELECT latest_epoch FROM streamlet_epochs WHERE stream_id = ?";
  private static final String RAISE_LATEST_EPOCH =
      "INSERT OR REPLACE INTO streamlet_epochs(stream_id, latest_epoch) VALUES (?, ?)";
  private static final String INSERT =
      "INSERT INTO streamlets(stream_id, epoch, channel_id, first_chunk_seq,"
          + " sealed_next_seq_num, last_chunk_seq) VALUES (?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT(stream_id, epoch) DO NOTHING";
  private static final String GET_SEAL =
      "SELECT sealed_next_seq_num, last_chunk_seq FROM streamlets"
          + " WHERE stream_id = ? AND epoch = ?";
  private static final String SEAL =
      "UPDATE streamlets SET sealed_next_seq_num = ?, last_chunk_seq = ?"
          + " WHERE stream_id = ? AND epoch = ?";
  private static final String LIST =
      "SELECT stream_id, epoch, channel_id, first_chunk_seq, sealed_next_seq_num,"
          + " last_chunk_seq FROM streamlets WHERE stream_id = ? ORDER BY epoch";
  private static final String DELETE_BELOW =
      "DELETE FROM streamlets WHERE stream_id = ? AND epoch < ?";

  /** Inserts the row and raises the latest epoch, only above the latest epoch ever created. */
  @Override
  public CompletionStage<Boolean> create(StreamletRecord s) {
    Objects.requireNonNull(s, "streamlet");
    return db.write(
        "create streamlet " + s.streamId() + " epoch " + s.epoch(),
        c -> {
          Long latest = latestEpoch(c, s.streamId());
          if (latest != null && latest >= s.epoch()) {
            return false;
          }
          int inserted =
              Sql.update(
                  c,
                  INSERT,
                  s.streamId(),
                  s.epoch(),
                  s.channelId(),
                  s.firstChunkSeq(),
                  s.sealedNextSeqNum(),
                  s.lastChunkSeq());
          if (inserted != 1) {
            return false;
          }
          Sql.update(c, RAISE_LATEST_EPOCH, s.streamId(), s.epoch());
          return true;
        });
  }

  @Override
  public CompletionStage<Long> latestEpoch(String streamId) {
    Objects.requireNonNull(streamId, "streamId");
    return db.read(
        "latest epoch of " + streamId,
        c -> {
          Long latest = latestEpoch(c, streamId);
          return latest == null ? 0L : latest;
        });
  }

  /** Raises the latest epoch to {@code epoch} if it is still {@code expectedLatest}. */
  @Override
  public CompletionStage<Boolean> claim(String streamId, long expectedLatest, long epoch) {
    Objects.requireNonNull(streamId, "streamId");
    if (epoch <= expectedLatest) {
      throw new IllegalArgumentException("claimed epoch " + epoch + " <= " + expectedLatest);
    }
    return db.write(
        "claim epoch " + epoch + " of " + streamId,
        c -> {
          Long latest = latestEpoch(c, streamId);
          if ((latest == null ? 0L : latest) != expectedLatest) {
            return false;
          }
          Sql.update(c, RAISE_LATEST_EPOCH, streamId, epoch);
          return true;
        });
  }

  /** The highest streamlet epoch ever created or claimed for the stream, null if none. */
  private static Long latestEpoch(Connection c, String streamId) throws SQLException {
    return Sql.one(c, LATEST_EPOCH, rs -> rs.getLong(1), streamId).orElse(null);
  }

  /**
   * Seals an existing, unsealed streamlet of the latest epoch; true also if it is sealed with
   * exactly these values.
   */
  @Override
  public CompletionStage<Boolean> seal(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return db.write(
        "seal streamlet " + streamId + " epoch " + epoch,
        c -> {
          Long latest = latestEpoch(c, streamId);
          if (latest == null || latest > epoch) {
            return false;
          }
          Optional<Long[]> seal =
              Sql.one(
                  c,
                  GET_SEAL,
                  rs -> new Long[] {Sql.nullableLong(rs, 1), Sql.nullableLong(rs, 2)},
                  streamId,
                  epoch);
          if (seal.isEmpty()) {
            return false;
          }
          Long sealed = seal.get()[0];
          Long last = seal.get()[1];
          if (sealed != null || last != null) {
            return Objects.equals(sealed, sealedNextSeqNum) && Objects.equals(last, lastChunkSeq);
          }
          return Sql.update(c, SEAL, sealedNextSeqNum, lastChunkSeq, streamId, epoch) == 1;
        });
  }

  @Override
  public CompletionStage<List<StreamletRecord>> list(String streamId) {
    return db.list("list streamlets of " + streamId, LIST, SqliteStreamlets::row, streamId);
  }

  @Override
  public CompletionStage<Void> deleteBelow(String streamId, long belowEpoch) {
    return db.execute(
        "delete streamlets of " + streamId + " below epoch " + belowEpoch,
        DELETE_BELOW,
        streamId,
        belowEpoch);
  }

  private static StreamletRecord row(ResultSet rs) throws SQLException {
    return new StreamletRecord(
        rs.getString(1),
        rs.getLong(2),
        rs.getString(3),
        rs.getLong(4),
        Sql.nullableLong(rs, 5),
        Sql.nullableLong(rs, 6));
  }
}
