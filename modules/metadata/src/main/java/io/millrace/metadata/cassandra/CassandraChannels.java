package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.core.KeyOrder;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataTables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code channels}: upserted at start, sealed {@code IF EXISTS} (a seal never creates a row),
 * listed by scanning the (small) table and sorting by channel id here; the GC watermark is raised
 * by a compare-and-set loop (never lowered).
 */
final class CassandraChannels extends CassandraTable implements MetadataTables.Channels {

  private static final String PUT =
      "INSERT INTO ${keyspace}.channels (channel_id, node, storage_class, started_at,"
          + " seal_chunk_seq, collected_through) VALUES (?, ?, ?, ?, ?, ?)";
  private static final String GET = "SELECT * FROM ${keyspace}.channels WHERE channel_id = ?";
  private static final String LIST = "SELECT * FROM ${keyspace}.channels";
  private static final String SEAL =
      "UPDATE ${keyspace}.channels SET seal_chunk_seq = ? WHERE channel_id = ? IF EXISTS";
  private static final String DELETE = "DELETE FROM ${keyspace}.channels WHERE channel_id = ?";
  private static final String RAISE_COLLECTED =
      "UPDATE ${keyspace}.channels SET collected_through = ? WHERE channel_id = ?"
          + " IF collected_through = ?";

  /** The templates to prepare. */
  static final List<String> CQL = List.of(PUT, GET, LIST, SEAL, DELETE, RAISE_COLLECTED);

  CassandraChannels(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  @Override
  public CompletionStage<Void> put(ChannelRecord c) {
    return cql.write(
        () ->
            statement(PUT)
                .bind(
                    c.channelId(),
                    c.node(),
                    c.storageClass(),
                    c.startedAt(),
                    c.sealChunkSeq(),
                    c.collectedThrough()));
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> get(String channelId) {
    return cql.one(statement(GET).bind(channelId), CassandraChannels::row);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> list() {
    return cql.all(statement(LIST).bind(), CassandraChannels::row)
        .thenApply(
            rows -> {
              List<ChannelRecord> sorted = new ArrayList<>(rows);
              sorted.sort(Comparator.comparing(ChannelRecord::channelId, KeyOrder.UTF8));
              return List.copyOf(sorted);
            });
  }

  @Override
  public CompletionStage<Void> seal(String channelId, long sealChunkSeq) {
    return cas.idempotent(() -> statement(SEAL).bind(sealChunkSeq, channelId));
  }

  @Override
  public CompletionStage<Void> delete(String channelId) {
    return cql.write(() -> statement(DELETE).bind(channelId));
  }

  /**
   * Compare-and-set loop: reads the row and, while its watermark is lower, sets it {@code IF} it
   * still holds the value read. A missing row stays missing (the condition is never tried on it).
   * An uncertain outcome is decided by the next read, since raising is idempotent.
   */
  @Override
  public CompletionStage<Void> raiseCollectedThrough(String channelId, long chunkSeq) {
    return cql.mapped(raise(channelId, chunkSeq, 1));
  }

  private CompletionStage<Void> raise(String channelId, long chunkSeq, int attempt) {
    return CasRetry.bounded(
        attempt,
        "collected_through of channel " + channelId,
        () ->
            get(channelId)
                .thenCompose(
                    row -> {
                      Long current = row.map(ChannelRecord::collectedThrough).orElse(null);
                      if (row.isEmpty() || (current != null && current >= chunkSeq)) {
                        return CompletableFuture.<Void>completedFuture(null);
                      }
                      return cas.attempt(
                          () -> statement(RAISE_COLLECTED).bind(chunkSeq, channelId, current),
                          rs ->
                              rs.wasApplied()
                                  ? CompletableFuture.<Void>completedFuture(null)
                                  : raise(channelId, chunkSeq, attempt + 1),
                          t -> raise(channelId, chunkSeq, attempt + 1));
                    }));
  }

  private static ChannelRecord row(Row r) {
    return new ChannelRecord(
        r.getString("channel_id"),
        r.getString("node"),
        r.getString("storage_class"),
        r.getInstant("started_at"),
        Cql.nullableLong(r, "seal_chunk_seq"),
        Cql.nullableLong(r, "collected_through"));
  }
}
