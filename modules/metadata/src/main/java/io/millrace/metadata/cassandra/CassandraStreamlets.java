package io.millrace.metadata.cassandra;

import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.millrace.metadata.MetadataTables;
import io.millrace.metadata.StreamletRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Table {@code streamlets}, one partition per stream, with the static {@code latest_epoch}: the
 * highest epoch ever created or claimed, which fences {@link #create}, {@link #seal} and {@link
 * #claim} (docs/metadata.md, "Fenced owner writes") and survives the range delete of {@link
 * #deleteBelow}.
 */
final class CassandraStreamlets extends CassandraTable implements MetadataTables.Streamlets {

  private static final Logger log = LoggerFactory.getLogger(CassandraMetadataStore.class);

  private static final String CREATE =
      "UPDATE ${keyspace}.streamlets SET latest_epoch = ?, channel_id = ?, first_chunk_seq = ?,"
          + " sealed_next_seq_num = ?, last_chunk_seq = ? WHERE stream_id = ? AND epoch = ?";
  private static final String CREATE_FIRST =
      CREATE + " IF latest_epoch = null AND channel_id = null";
  private static final String CREATE_NEXT = CREATE + " IF latest_epoch = ? AND channel_id = null";
  private static final String LATEST =
      "SELECT latest_epoch, stream_id, epoch, channel_id, first_chunk_seq,"
          + " sealed_next_seq_num, last_chunk_seq FROM ${keyspace}.streamlets"
          + " WHERE stream_id = ? ORDER BY epoch DESC LIMIT 1";
  private static final String SEAL =
      "UPDATE ${keyspace}.streamlets SET sealed_next_seq_num = ?, last_chunk_seq = ?"
          + " WHERE stream_id = ? AND epoch = ? IF latest_epoch = ? AND channel_id != null"
          + " AND sealed_next_seq_num = null AND last_chunk_seq = null";
  private static final String CLAIM_FIRST =
      "UPDATE ${keyspace}.streamlets SET latest_epoch = ? WHERE stream_id = ?"
          + " IF latest_epoch = null";
  private static final String CLAIM_NEXT =
      "UPDATE ${keyspace}.streamlets SET latest_epoch = ? WHERE stream_id = ?"
          + " IF latest_epoch = ?";
  private static final String LIST = "SELECT * FROM ${keyspace}.streamlets WHERE stream_id = ?";
  private static final String DELETE_BELOW =
      "DELETE FROM ${keyspace}.streamlets WHERE stream_id = ? AND epoch < ?";

  /** The templates to prepare. */
  static final List<String> CQL =
      List.of(CREATE_FIRST, CREATE_NEXT, LATEST, SEAL, CLAIM_FIRST, CLAIM_NEXT, LIST, DELETE_BELOW);

  CassandraStreamlets(Cql cql, CasRetry cas, Prepared prepared) {
    super(cql, cas, prepared, CQL);
  }

  @Override
  public CompletionStage<Boolean> create(StreamletRecord s) {
    return cql.mapped(createAttempt(s, 1, false));
  }

  /**
   * Reads the partition's highest epoch (static {@code latest_epoch}, or the highest row for a
   * partition written before schema version 2) at serial consistency; refuses an epoch at or below
   * it; else creates the row and raises {@code latest_epoch} in one lightweight transaction that
   * holds only if {@code latest_epoch} is still what was read and the row is absent. A refused
   * transaction (another activation moved first) is decided again from a new read; an uncertain one
   * too, where finding exactly our row at the top means ours was applied.
   */
  private CompletionStage<Boolean> createAttempt(StreamletRecord s, int attempt, boolean unsure) {
    return CasRetry.bounded(
        attempt,
        "streamlets of " + s.streamId(),
        () ->
            readLatest(s.streamId())
                .thenCompose(
                    l -> {
                      if (l.any() && l.highest() >= s.epoch()) {
                        boolean ours =
                            unsure
                                && l.row() != null
                                && l.row() == s.epoch()
                                && row(l.top()).equals(s);
                        return CompletableFuture.completedFuture(ours);
                      }
                      return cas.attempt(
                          createStatement(s, l.column()),
                          applied ->
                              applied.wasApplied()
                                  ? CompletableFuture.completedFuture(true)
                                  : createAttempt(s, attempt + 1, unsure),
                          t -> {
                            log.debug("Streamlet create outcome unknown, reading back: {}", s, t);
                            return createAttempt(s, attempt + 1, true);
                          });
                    }));
  }

  /** Creates the row and sets latest_epoch, if latest_epoch is still {@code latestEpoch}. */
  private Supplier<BoundStatement> createStatement(StreamletRecord s, Long latestEpoch) {
    List<Object> values =
        new ArrayList<>(
            Arrays.asList(
                s.epoch(),
                s.channelId(),
                s.firstChunkSeq(),
                s.sealedNextSeqNum(),
                s.lastChunkSeq(),
                s.streamId(),
                s.epoch()));
    if (latestEpoch == null) {
      return () -> statement(CREATE_FIRST).bind(values.toArray());
    }
    values.add(latestEpoch);
    return () -> statement(CREATE_NEXT).bind(values.toArray());
  }

  @Override
  public CompletionStage<Boolean> seal(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return cql.mapped(sealAttempt(streamId, epoch, sealedNextSeqNum, lastChunkSeq, 1));
  }

  /**
   * Seals {@code IF latest_epoch = epoch AND channel_id != null} (no higher epoch was created, the
   * row exists) {@code AND} both seal columns are null. When refused, the returned columns tell
   * whether the row is already sealed with exactly these values by an earlier attempt (true). An
   * uncertain outcome is repeated: the repetition applies or finds our values.
   */
  private CompletionStage<Boolean> sealAttempt(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq, int attempt) {
    return cas.attempt(
        () -> statement(SEAL).bind(sealedNextSeqNum, lastChunkSeq, streamId, epoch, epoch),
        rs -> {
          if (rs.wasApplied()) {
            return CompletableFuture.completedFuture(true);
          }
          Row row = rs.one();
          // A refused transaction returns the columns of its conditions (none for a missing
          // partition).
          boolean alreadyOurs =
              row != null
                  && Long.valueOf(epoch).equals(Cql.resultLong(row, "latest_epoch"))
                  && row.getColumnDefinitions().contains("channel_id")
                  && !row.isNull("channel_id")
                  && Long.valueOf(sealedNextSeqNum)
                      .equals(Cql.resultLong(row, "sealed_next_seq_num"))
                  && Long.valueOf(lastChunkSeq).equals(Cql.resultLong(row, "last_chunk_seq"));
          return CompletableFuture.completedFuture(alreadyOurs);
        },
        attempt < CasRetry.UNCERTAIN_ATTEMPTS
            ? t -> sealAttempt(streamId, epoch, sealedNextSeqNum, lastChunkSeq, attempt + 1)
            : null);
  }

  /**
   * The highest epoch of the partition at serial consistency: the static {@code latest_epoch}, or
   * the highest row for a partition written before schema version 2; 0 if neither.
   */
  @Override
  public CompletionStage<Long> latestEpoch(String streamId) {
    return cql.mapped(readLatest(streamId).thenApply(l -> l.highest()));
  }

  /**
   * Raises the static {@code latest_epoch} to {@code epoch} in one lightweight transaction that
   * holds only if the column is still what a serial read found, and only if that read found {@code
   * expectedLatest} as the highest epoch. A refused or uncertain transaction answers false: the
   * caller recovers again and claims above whatever is there then (an uncertain claim that was
   * applied only costs one more epoch).
   */
  @Override
  public CompletionStage<Boolean> claim(String streamId, long expectedLatest, long epoch) {
    if (epoch <= expectedLatest) {
      throw new IllegalArgumentException("claimed epoch " + epoch + " <= " + expectedLatest);
    }
    return cql.mapped(
        readLatest(streamId)
            .thenCompose(
                l -> {
                  if (l.highest() != expectedLatest) {
                    return CompletableFuture.completedFuture(false);
                  }
                  Supplier<BoundStatement> lwt =
                      l.column() == null
                          ? () -> statement(CLAIM_FIRST).bind(epoch, streamId)
                          : () -> statement(CLAIM_NEXT).bind(epoch, streamId, l.column());
                  return cas.attempt(
                      lwt,
                      rs -> CompletableFuture.completedFuture(rs.wasApplied()),
                      t -> {
                        log.debug("Epoch claim outcome unknown for {}; refused.", streamId, t);
                        return CompletableFuture.completedFuture(false);
                      });
                }));
  }

  /**
   * The partition's top as a serial read found it: the static {@code latest_epoch} (null if unset),
   * the highest row's epoch (null if no row) and that row.
   */
  private record Latest(Long column, Long row, Row top) {
    /** Whether the partition names any epoch. */
    boolean any() {
      return column != null || row != null;
    }

    /** The highest epoch the column and the rows give; 0 if none. */
    long highest() {
      if (!any()) {
        return 0;
      }
      return Math.max(column == null ? Long.MIN_VALUE : column, row == null ? Long.MIN_VALUE : row);
    }
  }

  /** Reads the partition's top (highest row and static column) at serial consistency. */
  private CompletionStage<Latest> readLatest(String streamId) {
    return cql.exec(() -> cql.atSerial(statement(LATEST).bind(streamId)))
        .thenApply(
            rs -> {
              Row top = rs.one();
              return new Latest(
                  top == null ? null : Cql.nullableLong(top, "latest_epoch"),
                  top == null ? null : Cql.nullableLong(top, "epoch"),
                  top);
            });
  }

  /**
   * All streamlets by epoch. A partition whose rows were all deleted still holds its static
   * latest_epoch: Cassandra returns it as one row without a clustering key, which is no streamlet.
   * Read at serial consistency (activation only): it completes a streamlet create whose outcome was
   * never confirmed, so an activation sees the epochs the fenced writes will compare with.
   */
  @Override
  public CompletionStage<List<StreamletRecord>> list(String streamId) {
    return cql.mapped(
        cql.exec(() -> cql.atSerial(statement(LIST).bind(streamId)))
            .thenCompose(Cql::allRows)
            .thenApply(
                rows ->
                    rows.stream()
                        .filter(r -> !r.isNull("epoch"))
                        .map(CassandraStreamlets::row)
                        .toList()));
  }

  @Override
  public CompletionStage<Void> deleteBelow(String streamId, long belowEpoch) {
    return cql.write(() -> statement(DELETE_BELOW).bind(streamId, belowEpoch));
  }

  private static StreamletRecord row(Row r) {
    return new StreamletRecord(
        r.getString("stream_id"),
        r.getLong("epoch"),
        r.getString("channel_id"),
        r.getLong("first_chunk_seq"),
        Cql.nullableLong(r, "sealed_next_seq_num"),
        Cql.nullableLong(r, "last_chunk_seq"));
  }
}
