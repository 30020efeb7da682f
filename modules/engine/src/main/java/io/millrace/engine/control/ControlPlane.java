package io.millrace.engine.control;

import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.api.LocationService;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.engine.StreamDataEraser;
import io.millrace.engine.StreamResolver;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.StreamRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The control plane (spec section 4): basins and streams on the {@link MetadataStore} port, and the
 * {@link StreamResolver} the data plane uses to turn (basin, stream name) into the live stream row,
 * creating streams on append or read when the basin allows it.
 *
 * <p>Every operation is asynchronous and never blocks. Updates are conditional on the row's
 * version; losing a race retries a few times with fresh rows and then fails with 409 {@code
 * transaction_conflict} (which clients retry; {@link OptimisticRetry}). Deletion only marks rows
 * ({@code deleted_at}); the background deletion started by {@link #startBackgroundDeletion} erases
 * the data and then removes the rows, after which a name can be created again (with a new stream
 * id).
 *
 * <p>{@link #resolve} keeps a small cache of live stream rows ({@link ResolvedStreams}). Every
 * control-plane write in this process invalidates it, and a resolve that raced with a write does
 * not fill it.
 *
 * <p>This class only wires and delegates: basins to {@link BasinControl}, streams to {@link
 * StreamControl}, stream (and basin) deletion to {@link StreamDeletion}, resolving to {@link
 * LiveStreamResolver}.
 */
public final class ControlPlane
    implements BasinService, StreamService, StreamResolver, LocationService {
  /** Attempts of a version-checked update before answering {@code transaction_conflict}. */
  static final int MAX_ATTEMPTS = OptimisticRetry.MAX_ATTEMPTS;

  private final ResolvedStreams cache = new ResolvedStreams();
  private final BasinControl basins;
  private final StreamControl streams;
  private final StreamDeletion deletion;
  private final LiveStreamResolver resolver;
  private final Locations locations;

  /** A control plane offering the one location of {@link LocationSettings#DEFAULT}. */
  public ControlPlane(MetadataStore metadata, Clock clock) {
    this(metadata, clock, LocationSettings.DEFAULT);
  }

  public ControlPlane(MetadataStore metadata, Clock clock, LocationSettings locationSettings) {
    ControlContext ctx = new ControlContext(metadata, clock, cache);
    this.deletion = new StreamDeletion(ctx);
    this.locations = new Locations(metadata, locationSettings);
    this.basins = new BasinControl(ctx, deletion, locations);
    this.streams = new StreamControl(ctx);
    this.resolver = new LiveStreamResolver(ctx);
  }

  /**
   * Starts erasing deleted streams and basins: at once (picking up deletions left pending by an
   * earlier run), after every delete made through this control plane, and every {@code interval}.
   */
  public synchronized void startBackgroundDeletion(StreamDataEraser eraser, Duration interval) {
    deletion.startBackground(eraser, interval);
  }

  /** Stops background deletion; the metadata store stays open (its owner closes it). */
  public synchronized void close() {
    deletion.stopBackground();
    cache.clear();
  }

  // ---------------------------------------------------------------- basins

  @Override
  public CompletionStage<ListPage<BasinInfo>> listBasins(ListRequest request) {
    return basins.list(request);
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String location, String requestToken) {
    return basins.create(basin, config, location, requestToken);
  }

  @Override
  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    return basins.getConfig(basin);
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> ensureBasin(
      String basin, BasinConfig config, String location) {
    return basins.ensure(basin, config, location);
  }

  @Override
  public CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch) {
    return basins.reconfigure(basin, patch);
  }

  @Override
  public CompletionStage<Void> deleteBasin(String basin) {
    return basins.delete(basin);
  }

  // ---------------------------------------------------------------- locations

  @Override
  public CompletionStage<List<LocationInfo>> listLocations() {
    return guardedLocations(locations::listLocations);
  }

  @Override
  public CompletionStage<LocationInfo> getDefaultLocation() {
    return guardedLocations(locations::getDefaultLocation);
  }

  @Override
  public CompletionStage<LocationInfo> setDefaultLocation(String name) {
    return guardedLocations(() -> locations.setDefaultLocation(name));
  }

  /** A metadata failure as the S2 error a client sees (no internals). */
  private static <T> CompletionStage<T> guardedLocations(
      java.util.function.Supplier<CompletionStage<T>> call) {
    return ControlErrors.guarded(call);
  }

  // ---------------------------------------------------------------- streams

  @Override
  public CompletionStage<ListPage<StreamInfo>> listStreams(String basin, ListRequest request) {
    return streams.list(basin, request);
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> createStream(
      String basin, String stream, StreamConfig config, String requestToken) {
    return streams.create(basin, stream, config, requestToken);
  }

  @Override
  public CompletionStage<StreamConfig> getStreamConfig(String basin, String stream) {
    return streams.getConfig(basin, stream);
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> ensureStream(
      String basin, String stream, StreamConfig config) {
    return streams.ensure(basin, stream, config);
  }

  @Override
  public CompletionStage<StreamConfig> reconfigureStream(
      String basin, String stream, StreamReconfiguration patch) {
    return streams.reconfigure(basin, stream, patch);
  }

  @Override
  public CompletionStage<Void> deleteStream(String basin, String stream) {
    return deletion.delete(basin, stream);
  }

  /**
   * Deletes the stream of {@code judged} as a user delete would, only if its row is unchanged since
   * the delete-on-empty sweep judged it (same stream id and version, not marked); true if marked.
   */
  public CompletionStage<Boolean> deleteIfUnchanged(StreamRecord judged) {
    return deletion.deleteIfUnchanged(judged);
  }

  // ---------------------------------------------------------------- resolver

  @Override
  public CompletionStage<StreamRecord> resolve(String basin, String stream, Access access) {
    return resolver.resolve(basin, stream, access);
  }
}
