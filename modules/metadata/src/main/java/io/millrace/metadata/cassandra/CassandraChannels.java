package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.core.KeyOrder;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataTables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Table {@code channels}: upserted at start, sealed {@code IF EXISTS} (a seal never creates a row),
 * listed by scanning the (small) table and sorting by channel id here.
 */
final class CassandraChannels implements MetadataTables.Channels {

  private static final String PUT =
      "INSERT INTO ${keyspace}.channels (channel_id, node, storage_class, started_at,"
          + " seal_chunk_seq) VALUES (?, ?, ?, ?, ?)";
  private static final String GET = "SELECT * FROM ${keyspace}.channels WHERE channel_id = ?";
  private static final String LIST = "SELECT * FROM ${keyspace}.channels";
  private static final String SEAL =
      "UPDATE ${keyspace}.channels SET seal_chunk_seq = ? WHERE channel_id = ? IF EXISTS";
  private static final String DELETE = "DELETE FROM ${keyspace}.channels WHERE channel_id = ?";

  /** The templates to prepare. */
  static List<String> cql() {
    return List.of(PUT, GET, LIST, SEAL, DELETE);
  }

  private final Cql cql;
  private final CasRetry cas;
  private final PreparedStatement put;
  private final PreparedStatement get;
  private final PreparedStatement list;
  private final PreparedStatement seal;
  private final PreparedStatement delete;

  CassandraChannels(Cql cql, CasRetry cas, Prepared prepared) {
    this.cql = cql;
    this.cas = cas;
    this.put = prepared.get(PUT);
    this.get = prepared.get(GET);
    this.list = prepared.get(LIST);
    this.seal = prepared.get(SEAL);
    this.delete = prepared.get(DELETE);
  }

  @Override
  public CompletionStage<Void> put(ChannelRecord c) {
    return cql.write(
        () -> put.bind(c.channelId(), c.node(), c.storageClass(), c.startedAt(), c.sealChunkSeq()));
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> get(String channelId) {
    return cql.one(get.bind(channelId), CassandraChannels::row);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> list() {
    return cql.all(list.bind(), CassandraChannels::row)
        .thenApply(
            rows -> {
              List<ChannelRecord> sorted = new ArrayList<>(rows);
              sorted.sort(Comparator.comparing(ChannelRecord::channelId, KeyOrder.UTF8));
              return List.copyOf(sorted);
            });
  }

  @Override
  public CompletionStage<Void> seal(String channelId, long sealChunkSeq) {
    return cas.idempotent(() -> seal.bind(sealChunkSeq, channelId));
  }

  @Override
  public CompletionStage<Void> delete(String channelId) {
    return cql.write(() -> delete.bind(channelId));
  }

  private static ChannelRecord row(Row r) {
    return new ChannelRecord(
        r.getString("channel_id"),
        r.getString("node"),
        r.getString("storage_class"),
        r.getInstant("started_at"),
        Cql.nullableLong(r, "seal_chunk_seq"));
  }
}
