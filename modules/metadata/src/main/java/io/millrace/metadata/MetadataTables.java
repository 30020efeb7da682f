package io.millrace.metadata;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The {@link MetadataStore} port split by table: a store implements one class per table and extends
 * {@link TableMetadataStore}, which delegates every port call to it. The semantics of each method
 * are those of the port method it serves (named in each interface).
 */
public final class MetadataTables {
  private MetadataTables() {}

  /** {@code basins}: createBasin, getBasin, listBasins, updateBasin, deleteBasin. */
  public interface Basins {
    CompletionStage<CreateResult<BasinRecord>> create(BasinRecord basin);

    CompletionStage<Optional<BasinRecord>> get(String name);

    CompletionStage<List<BasinRecord>> list(String prefix, String startAfter, int limit);

    CompletionStage<Boolean> update(BasinRecord basin, long expectedVersion);

    CompletionStage<Boolean> delete(String name, long expectedVersion);
  }

  /** {@code streams}: createStream, getStream, listStreams, updateStream, deleteStream. */
  public interface Streams {
    CompletionStage<CreateResult<StreamRecord>> create(StreamRecord stream);

    CompletionStage<Optional<StreamRecord>> get(String basin, String name);

    CompletionStage<List<StreamRecord>> list(
        String basin, String prefix, String startAfter, int limit);

    CompletionStage<Boolean> update(StreamRecord stream, long expectedVersion);

    CompletionStage<Boolean> delete(String basin, String name, long expectedVersion);
  }

  /** {@code stream_state}: getStreamState, putStreamState (fenced), deleteStreamState. */
  public interface StreamStates {
    CompletionStage<Optional<StreamStateRecord>> get(String streamId);

    CompletionStage<Boolean> put(StreamStateRecord state);

    CompletionStage<Void> delete(String streamId);
  }

  /**
   * {@code streamlets}: createStreamlet, sealStreamlet and claimStreamletEpoch (fenced), list,
   * latestStreamletEpoch, deleteStreamlets.
   */
  public interface Streamlets {
    CompletionStage<Boolean> create(StreamletRecord streamlet);

    CompletionStage<Boolean> seal(
        String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq);

    CompletionStage<List<StreamletRecord>> list(String streamId);

    CompletionStage<Long> latestEpoch(String streamId);

    CompletionStage<Boolean> claim(String streamId, long expectedLatest, long epoch);

    CompletionStage<Void> deleteBelow(String streamId, long belowEpoch);
  }

  /** {@code segments}: addSegment (fenced), listSegments, deleteSegment. */
  public interface Segments {
    CompletionStage<Boolean> add(SegmentRecord segment);

    CompletionStage<List<SegmentRecord>> list(String streamId);

    CompletionStage<Void> delete(String streamId, long firstSeqNum);
  }

  /**
   * {@code channels}: putChannel, getChannel, listChannels, sealChannel, deleteChannel,
   * raiseCollectedThrough.
   */
  public interface Channels {
    CompletionStage<Void> put(ChannelRecord channel);

    CompletionStage<Optional<ChannelRecord>> get(String channelId);

    CompletionStage<List<ChannelRecord>> list();

    CompletionStage<Void> seal(String channelId, long sealChunkSeq);

    CompletionStage<Void> delete(String channelId);

    CompletionStage<Void> raiseCollectedThrough(String channelId, long chunkSeq);
  }

  /** {@code access_tokens}: createAccessToken, getAccessToken, listAccessTokens, delete. */
  public interface AccessTokens {
    CompletionStage<CreateResult<AccessTokenRecord>> create(AccessTokenRecord token);

    CompletionStage<Optional<AccessTokenRecord>> get(String id);

    CompletionStage<List<AccessTokenRecord>> list(String prefix, String startAfter, int limit);

    CompletionStage<Boolean> delete(String id);
  }

  /** Table {@code account_settings} ({@link MetadataStore#getAccountSetting} and put). */
  public interface AccountSettings {
    CompletionStage<Optional<String>> get(String key);

    CompletionStage<Void> put(String key, String value);
  }

  /** {@code metering}: putMetering, listMetering, deleteMeteringBefore. */
  public interface Metering {
    CompletionStage<Void> put(List<MeteringRecord> rows);

    CompletionStage<List<MeteringRecord>> list(
        String basin, String stream, String metric, long width, long fromBucket, long toBucket);

    CompletionStage<Void> deleteBefore(long bucket);
  }
}
