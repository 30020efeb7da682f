package io.millrace.metadata;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A {@link MetadataStore} made of one object per table ({@link MetadataTables}): every port call is
 * delegated to its table; subclasses open the database and add {@link #healthy} and {@link #close}.
 */
public abstract class TableMetadataStore implements MetadataStore {

  private final MetadataTables.Basins basins;
  private final MetadataTables.Streams streams;
  private final MetadataTables.StreamStates streamState;
  private final MetadataTables.Streamlets streamlets;
  private final MetadataTables.Segments segments;
  private final MetadataTables.Channels channels;
  private final MetadataTables.AccessTokens accessTokens;
  private final MetadataTables.AccountSettings settings;
  private final MetadataTables.Metering metering;

  protected TableMetadataStore(
      MetadataTables.Basins basins,
      MetadataTables.Streams streams,
      MetadataTables.StreamStates streamState,
      MetadataTables.Streamlets streamlets,
      MetadataTables.Segments segments,
      MetadataTables.Channels channels,
      MetadataTables.AccessTokens accessTokens,
      MetadataTables.AccountSettings settings,
      MetadataTables.Metering metering) {
    this.basins = basins;
    this.streams = streams;
    this.streamState = streamState;
    this.streamlets = streamlets;
    this.segments = segments;
    this.channels = channels;
    this.accessTokens = accessTokens;
    this.settings = settings;
    this.metering = metering;
  }

  // ---------------------------------------------------------------- basins

  @Override
  public final CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord basin) {
    return basins.create(basin);
  }

  @Override
  public final CompletionStage<Optional<BasinRecord>> getBasin(String name) {
    return basins.get(name);
  }

  @Override
  public final CompletionStage<List<BasinRecord>> listBasins(
      String prefix, String startAfter, int limit) {
    return basins.list(prefix, startAfter, limit);
  }

  @Override
  public final CompletionStage<Boolean> updateBasin(BasinRecord basin, long expectedVersion) {
    return basins.update(basin, expectedVersion);
  }

  @Override
  public final CompletionStage<Boolean> deleteBasin(String name, long expectedVersion) {
    return basins.delete(name, expectedVersion);
  }

  // ---------------------------------------------------------------- streams

  @Override
  public final CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord stream) {
    return streams.create(stream);
  }

  @Override
  public final CompletionStage<Optional<StreamRecord>> getStream(String basin, String name) {
    return streams.get(basin, name);
  }

  @Override
  public final CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit) {
    return streams.list(basin, prefix, startAfter, limit);
  }

  @Override
  public final CompletionStage<Boolean> updateStream(StreamRecord stream, long expectedVersion) {
    return streams.update(stream, expectedVersion);
  }

  @Override
  public final CompletionStage<Boolean> deleteStream(
      String basin, String name, long expectedVersion) {
    return streams.delete(basin, name, expectedVersion);
  }

  // ---------------------------------------------------------------- stream state

  @Override
  public final CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId) {
    return streamState.get(streamId);
  }

  @Override
  public final CompletionStage<Boolean> putStreamState(StreamStateRecord state) {
    return streamState.put(state);
  }

  @Override
  public final CompletionStage<Void> deleteStreamState(String streamId) {
    return streamState.delete(streamId);
  }

  // ---------------------------------------------------------------- streamlets

  @Override
  public final CompletionStage<Boolean> createStreamlet(StreamletRecord streamlet) {
    return streamlets.create(streamlet);
  }

  @Override
  public final CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return streamlets.seal(streamId, epoch, sealedNextSeqNum, lastChunkSeq);
  }

  @Override
  public final CompletionStage<List<StreamletRecord>> listStreamlets(String streamId) {
    return streamlets.list(streamId);
  }

  @Override
  public final CompletionStage<Long> latestStreamletEpoch(String streamId) {
    return streamlets.latestEpoch(streamId);
  }

  @Override
  public final CompletionStage<Boolean> claimStreamletEpoch(
      String streamId, long expectedLatest, long epoch) {
    return streamlets.claim(streamId, expectedLatest, epoch);
  }

  @Override
  public final CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch) {
    return streamlets.deleteBelow(streamId, belowEpoch);
  }

  // ---------------------------------------------------------------- segments

  @Override
  public final CompletionStage<Boolean> addSegment(SegmentRecord segment) {
    return segments.add(segment);
  }

  @Override
  public final CompletionStage<List<SegmentRecord>> listSegments(String streamId) {
    return segments.list(streamId);
  }

  @Override
  public final CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum) {
    return segments.delete(streamId, firstSeqNum);
  }

  // ---------------------------------------------------------------- channels

  @Override
  public final CompletionStage<Void> putChannel(ChannelRecord channel) {
    return channels.put(channel);
  }

  @Override
  public final CompletionStage<Optional<ChannelRecord>> getChannel(String channelId) {
    return channels.get(channelId);
  }

  @Override
  public final CompletionStage<List<ChannelRecord>> listChannels() {
    return channels.list();
  }

  @Override
  public final CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq) {
    return channels.seal(channelId, sealChunkSeq);
  }

  @Override
  public final CompletionStage<Void> deleteChannel(String channelId) {
    return channels.delete(channelId);
  }

  @Override
  public final CompletionStage<Void> raiseCollectedThrough(String channelId, long chunkSeq) {
    return channels.raiseCollectedThrough(channelId, chunkSeq);
  }

  // ---------------------------------------------------------------- access tokens

  @Override
  public final CompletionStage<CreateResult<AccessTokenRecord>> createAccessToken(
      AccessTokenRecord token) {
    return accessTokens.create(token);
  }

  @Override
  public final CompletionStage<Optional<AccessTokenRecord>> getAccessToken(String id) {
    return accessTokens.get(id);
  }

  @Override
  public final CompletionStage<List<AccessTokenRecord>> listAccessTokens(
      String prefix, String startAfter, int limit) {
    return accessTokens.list(prefix, startAfter, limit);
  }

  @Override
  public final CompletionStage<Boolean> deleteAccessToken(String id) {
    return accessTokens.delete(id);
  }

  // ---------------------------------------------------------------- account settings

  @Override
  public final CompletionStage<Optional<String>> getAccountSetting(String key) {
    return settings.get(key);
  }

  @Override
  public final CompletionStage<Void> putAccountSetting(String key, String value) {
    return settings.put(key, value);
  }

  // ---------------------------------------------------------------- metering

  @Override
  public final CompletionStage<Void> putMetering(List<MeteringRecord> rows) {
    return metering.put(rows);
  }

  @Override
  public final CompletionStage<List<MeteringRecord>> listMetering(
      String basin, String stream, String metric, long width, long fromBucket, long toBucket) {
    return metering.list(basin, stream, metric, width, fromBucket, toBucket);
  }

  @Override
  public final CompletionStage<Void> deleteMeteringBefore(long bucket) {
    return metering.deleteBefore(bucket);
  }
}
