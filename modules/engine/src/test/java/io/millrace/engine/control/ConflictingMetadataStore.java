package io.millrace.engine.control;

import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamStateRecord;
import io.millrace.metadata.StreamletRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delegates to a real store, but can make the next version-checked updates lose as if another
 * writer always got there first.
 */
final class ConflictingMetadataStore implements MetadataStore {
  private final MetadataStore delegate;
  private final AtomicInteger updatesToLose = new AtomicInteger();
  private final AtomicInteger lostUpdates = new AtomicInteger();

  ConflictingMetadataStore(MetadataStore delegate) {
    this.delegate = delegate;
  }

  void loseNextUpdates(int n) {
    updatesToLose.set(n);
  }

  int lostUpdates() {
    return lostUpdates.get();
  }

  private boolean lose() {
    if (updatesToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      lostUpdates.incrementAndGet();
      return true;
    }
    return false;
  }

  @Override
  public CompletionStage<CreateResult<BasinRecord>> createBasin(BasinRecord basin) {
    return delegate.createBasin(basin);
  }

  @Override
  public CompletionStage<Optional<BasinRecord>> getBasin(String name) {
    return delegate.getBasin(name);
  }

  @Override
  public CompletionStage<List<BasinRecord>> listBasins(
      String prefix, String startAfter, int limit) {
    return delegate.listBasins(prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> updateBasin(BasinRecord basin, long expectedVersion) {
    return lose()
        ? CompletableFuture.completedFuture(false)
        : delegate.updateBasin(basin, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> deleteBasin(String name, long expectedVersion) {
    return delegate.deleteBasin(name, expectedVersion);
  }

  @Override
  public CompletionStage<CreateResult<StreamRecord>> createStream(StreamRecord stream) {
    return delegate.createStream(stream);
  }

  @Override
  public CompletionStage<Optional<StreamRecord>> getStream(String basin, String name) {
    return delegate.getStream(basin, name);
  }

  @Override
  public CompletionStage<List<StreamRecord>> listStreams(
      String basin, String prefix, String startAfter, int limit) {
    return delegate.listStreams(basin, prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Boolean> updateStream(StreamRecord stream, long expectedVersion) {
    return lose()
        ? CompletableFuture.completedFuture(false)
        : delegate.updateStream(stream, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> deleteStream(String basin, String name, long expectedVersion) {
    return delegate.deleteStream(basin, name, expectedVersion);
  }

  @Override
  public CompletionStage<Optional<StreamStateRecord>> getStreamState(String streamId) {
    return delegate.getStreamState(streamId);
  }

  @Override
  public CompletionStage<Boolean> putStreamState(StreamStateRecord state) {
    return delegate.putStreamState(state);
  }

  @Override
  public CompletionStage<Void> deleteStreamState(String streamId) {
    return delegate.deleteStreamState(streamId);
  }

  @Override
  public CompletionStage<Boolean> createStreamlet(StreamletRecord streamlet) {
    return delegate.createStreamlet(streamlet);
  }

  @Override
  public CompletionStage<Boolean> sealStreamlet(
      String streamId, long epoch, long sealedNextSeqNum, long lastChunkSeq) {
    return delegate.sealStreamlet(streamId, epoch, sealedNextSeqNum, lastChunkSeq);
  }

  @Override
  public CompletionStage<List<StreamletRecord>> listStreamlets(String streamId) {
    return delegate.listStreamlets(streamId);
  }

  @Override
  public CompletionStage<Void> deleteStreamlets(String streamId, long belowEpoch) {
    return delegate.deleteStreamlets(streamId, belowEpoch);
  }

  @Override
  public CompletionStage<Boolean> addSegment(SegmentRecord segment) {
    return delegate.addSegment(segment);
  }

  @Override
  public CompletionStage<List<SegmentRecord>> listSegments(String streamId) {
    return delegate.listSegments(streamId);
  }

  @Override
  public CompletionStage<Void> deleteSegment(String streamId, long firstSeqNum) {
    return delegate.deleteSegment(streamId, firstSeqNum);
  }

  @Override
  public CompletionStage<Void> putChannel(ChannelRecord channel) {
    return delegate.putChannel(channel);
  }

  @Override
  public CompletionStage<Optional<ChannelRecord>> getChannel(String channelId) {
    return delegate.getChannel(channelId);
  }

  @Override
  public CompletionStage<List<ChannelRecord>> listChannels() {
    return delegate.listChannels();
  }

  @Override
  public CompletionStage<Void> sealChannel(String channelId, long sealChunkSeq) {
    return delegate.sealChannel(channelId, sealChunkSeq);
  }

  @Override
  public CompletionStage<Void> deleteChannel(String channelId) {
    return delegate.deleteChannel(channelId);
  }

  @Override
  public CompletionStage<Boolean> healthy() {
    return delegate.healthy();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
