package io.millrace.metadata;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The metadata port (architecture section 4): basins, streams, stream state, streamlets, the
 * segment index, channels and access tokens. Implementations: SQLite (embedded) and Cassandra
 * (cluster). Both pass {@code MetadataStoreContractTest}.
 *
 * <p>Conditional writes ({@code create*} and everything taking an expected version) are atomic: of
 * two concurrent writers at most one wins. Failures of the store itself complete the stage
 * exceptionally with {@link MetadataStoreException}. List calls return rows in name order, strictly
 * after {@code startAfter}, starting with {@code prefix}, at most {@code limit}.
 *
 * <p>Fenced writes of a stream's owner ({@link #putStreamState}, {@link #createStreamlet}, {@link
 * #sealStreamlet}, {@link #claimStreamletEpoch}, {@link #addSegment}) are conditional too: they
 * complete with {@code true} when applied (or when an identical earlier write is found: a retry is
 * harmless) and {@code false} when refused because a newer activation of the stream superseded the
 * writer's view. A writer that sees {@code false} must stop acting as the stream's owner; a later
 * activation recovers from storage.
 */
public interface MetadataStore extends AutoCloseable {

  // ---- basins ----

  /** Inserts the basin if no row (live or deleting) has its name; else returns the existing row. */
  CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord basin);

  CompletionStage<Optional<BasinRecord>> getBasin(String name);

  CompletionStage<List<BasinRecord>> listBasins(String prefix, String startAfter, int limit);

  /** Replaces the row if its version is {@code expectedVersion}; the new row carries its own. */
  CompletionStage<Boolean> updateBasin(BasinRecord basin, long expectedVersion);

  /** Removes the row if its version is {@code expectedVersion}. */
  CompletionStage<Boolean> deleteBasin(String name, long expectedVersion);

  // ---- streams ----

  CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord stream);

  CompletionStage<Optional<StreamRecord>> getStream(String basin, String name);

  CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit);

  CompletionStage<Boolean> updateStream(StreamRecord stream, long expectedVersion);

  CompletionStage<Boolean> deleteStream(String basin, String name, long expectedVersion);

  // ---- stream state (one row per stream id, written by the stream's owner) ----

  CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId);

  /**
   * Writes the row unless that would regress it: applied only if there is no row, or the stored
   * epoch is lower, or the stored epoch is equal and its flushed next seq num is not higher. The
   * erase tombstone (epoch {@code Long.MAX_VALUE}) can thus only be replaced by itself.
   *
   * @return true if written (or already equal), false if refused
   */
  CompletionStage<Boolean> putStreamState(StreamStateRecord state);

  CompletionStage<Void> deleteStreamState(String streamId);

  // ---- streamlets (one per activation of a stream) ----

  /**
   * Inserts the streamlet only if its epoch is higher than every epoch ever created for the stream
   * (also those whose rows {@link #deleteStreamlets} removed since); false if another activation
   * won that epoch or a higher one exists.
   */
  CompletionStage<Boolean> createStreamlet(StreamletRecord streamlet);

  /**
   * Records the sealed tail and last chunk of a streamlet (handoff, rotation). Applied only if the
   * streamlet exists, is unsealed, and no higher epoch was ever created for the stream; true also
   * if it is already sealed with exactly these values (a retry). False otherwise: the writer is
   * superseded (or the streamlet is gone) and the row stays as it was.
   */
  CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq);

  /** All streamlets of a stream, by epoch ascending. */
  CompletionStage<List<StreamletRecord>> listStreamlets(String streamId);

  /**
   * The highest epoch ever created ({@link #createStreamlet}) or claimed ({@link
   * #claimStreamletEpoch}) for the stream, 0 if none; it never goes down. An activation reads it
   * before {@link #listStreamlets}, so any streamlet created after its list raises it past what the
   * activation saw.
   */
  CompletionStage<Long> latestStreamletEpoch(String streamId);

  /**
   * Fences every earlier owner without creating a streamlet: raises the stream's highest epoch to
   * {@code epoch} (above {@code expectedLatest}), applied only if it is still {@code
   * expectedLatest} (the highest epoch the caller saw: {@link #latestStreamletEpoch}, read before
   * it listed the streamlets, or a higher listed streamlet). Afterwards no earlier activation can
   * create or seal a streamlet, so none can acknowledge an append the caller's recovery did not see
   * (ADR 0004, "Claimed epochs"). False if refused: a streamlet was created or another epoch
   * claimed since (or, in Cassandra, the outcome stayed uncertain); the caller recovers again.
   */
  CompletionStage<Boolean> claimStreamletEpoch(String streamId, long expectedLatest, long epoch);

  /** Deletes the streamlets of a stream with epoch strictly below {@code belowEpoch}. */
  CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch);

  // ---- segment index ----

  /**
   * Inserts the segment if no row has its (stream id, first seq num); true also if an identical row
   * is there (a retry), false if a different one is (another owner flushed from that seq num). Not
   * fenced by epoch: the engine adopts a refused row that holds exactly its first records (ADR
   * 0004), so a replaced owner's row never stops the current owner.
   */
  CompletionStage<Boolean> addSegment(SegmentRecord segment);

  /** Segments of a stream by first seq num ascending. */
  CompletionStage<List<SegmentRecord>> listSegments(String streamId);

  CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum);

  // ---- channels (one row per channel incarnation) ----

  CompletionStage<Void> putChannel(ChannelRecord channel);

  CompletionStage<Optional<ChannelRecord>> getChannel(String channelId);

  CompletionStage<List<ChannelRecord>> listChannels();

  /** Records that the channel's WAL is sealed at chunk {@code sealChunkSeq} (idempotent). */
  CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq);

  CompletionStage<Void> deleteChannel(String channelId);

  /**
   * Raises the channel's chunk GC watermark ({@code collected_through}) to {@code chunkSeq}: every
   * chunk of the channel at or below it may be deleted from then on. Never lowers it (a lower or
   * equal value is a no-op, so a stale sweep cannot undo a newer one); no effect on a missing row.
   * Written before the chunks are deleted (docs/metadata.md, "channels").
   */
  CompletionStage<Void> raiseCollectedThrough(String channelId, long chunkSeq);

  // ---- access tokens (one row per issued token; the root token is not stored) ----

  /** Inserts the token if no row has its id; else returns the existing row. */
  CompletionStage<CreateResult<AccessTokenRecord>> createAccessToken(AccessTokenRecord token);

  CompletionStage<Optional<AccessTokenRecord>> getAccessToken(String id);

  /** Tokens by id: starting with {@code prefix}, strictly after {@code startAfter}. */
  CompletionStage<List<AccessTokenRecord>> listAccessTokens(
      String prefix, String startAfter, int limit);

  /** Removes the token; true if there was a row to remove. */
  CompletionStage<Boolean> deleteAccessToken(String id);

  // ---- metering (series of the metrics API; docs/metadata.md, "metering") ----

  /**
   * Upserts the rows (by their full key): a later write of the same key replaces the value. Not
   * atomic across rows; every row is idempotent, so a failed call may simply be repeated.
   */
  CompletionStage<Void> putMetering(List<MeteringRecord> rows);

  /**
   * The rows of one series partition with {@code fromBucket <= bucket <= toBucket}, by bucket
   * ascending (then label, then node).
   */
  CompletionStage<List<MeteringRecord>> listMetering(
      String basin, String stream, String metric, long width, long fromBucket, long toBucket);

  /**
   * Deletes every metering row with a bucket below {@code bucket} (SQLite); a no-op where rows
   * expire by themselves (Cassandra: a 32-day time to live).
   */
  CompletionStage<Void> deleteMeteringBefore(long bucket);

  /** True while the store answers (used by readiness). */
  CompletionStage<Boolean> healthy();

  @Override
  default void close() {}

  // ---- account settings (one value per key, the same on every node) ----

  /** The value of an account-wide setting, e.g. {@code default_location}; empty when never set. */
  CompletionStage<Optional<String>> getAccountSetting(String key);

  /** Sets (upserts) an account-wide setting; the last write wins. */
  CompletionStage<Void> putAccountSetting(String key, String value);
}
