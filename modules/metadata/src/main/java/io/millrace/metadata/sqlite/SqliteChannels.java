package io.millrace.metadata.sqlite;

import static io.millrace.metadata.sqlite.Sql.instant;
import static io.millrace.metadata.sqlite.Sql.text;

import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataTables;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code channels}: upserted at start, sealed (no effect on a missing row), its GC watermark
 * raised (never lowered), deleted.
 */
record SqliteChannels(SqliteExecutor db) implements MetadataTables.Channels {

  private static final String COLUMNS =
      "channel_id, node, storage_class, started_at, seal_chunk_seq, collected_through";
  private static final String PUT =
      "INSERT OR REPLACE INTO channels(" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)";
  private static final String GET = "SELECT " + COLUMNS + " FROM channels WHERE channel_id = ?";
  private static final String LIST = "SELECT " + COLUMNS + " FROM channels ORDER BY channel_id";
  private static final String SEAL = "UPDATE channels SET seal_chunk_seq = ? WHERE channel_id = ?";
  private static final String DELETE = "DELETE FROM channels WHERE channel_id = ?";
  private static final String RAISE_COLLECTED =
      "UPDATE channels SET collected_through = ? WHERE channel_id = ?"
          + " AND (collected_through IS NULL OR collected_through < ?)";

  @Override
  public CompletionStage<Void> put(ChannelRecord ch) {
    Objects.requireNonNull(ch, "channel");
    return db.write(
        "put channel " + ch.channelId(),
        c ->
            Sql.execute(
                c,
                PUT,
                ch.channelId(),
                ch.node(),
                ch.storageClass(),
                text(ch.startedAt()),
                ch.sealChunkSeq(),
                ch.collectedThrough()));
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> get(String channelId) {
    return db.one("get channel " + channelId, GET, SqliteChannels::row, channelId);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> list() {
    return db.list("list channels", LIST, SqliteChannels::row);
  }

  @Override
  public CompletionStage<Void> seal(String channelId, long sealChunkSeq) {
    return db.execute(
        "seal channel " + channelId + " at chunk " + sealChunkSeq, SEAL, sealChunkSeq, channelId);
  }

  @Override
  public CompletionStage<Void> delete(String channelId) {
    return db.execute("delete channel " + channelId, DELETE, channelId);
  }

  @Override
  public CompletionStage<Void> raiseCollectedThrough(String channelId, long chunkSeq) {
    return db.execute(
        "raise collected_through of channel " + channelId + " to " + chunkSeq,
        RAISE_COLLECTED,
        chunkSeq,
        channelId,
        chunkSeq);
  }

  private static ChannelRecord row(ResultSet rs) throws SQLException {
    return new ChannelRecord(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        instant(rs.getString(4)),
        Sql.nullableLong(rs, 5),
        Sql.nullableLong(rs, 6));
  }
}
