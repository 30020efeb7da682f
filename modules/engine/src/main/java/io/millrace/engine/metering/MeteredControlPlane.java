package io.millrace.engine.metering;

import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.engine.metering.MeteringSeries.AccountOp;
import io.millrace.engine.metering.MeteringSeries.BasinOp;
import java.util.concurrent.CompletionStage;

/**
 * The control plane with metering: every basin and stream operation that succeeds is counted, basin
 * operations as {@code account_ops} (account level) and stream operations as {@code basin_ops} of
 * their basin. Failed operations are not counted (a request for a basin that does not exist must
 * not make it an active basin).
 */
public final class MeteredControlPlane implements BasinService, StreamService {
  private final BasinService basins;
  private final StreamService streams;
  private final UsageAggregator usage;

  public MeteredControlPlane(BasinService basins, StreamService streams, UsageAggregator usage) {
    this.basins = basins;
    this.streams = streams;
    this.usage = usage;
  }

  private <T> CompletionStage<T> account(AccountOp op, CompletionStage<T> call) {
    return call.whenComplete(
        (v, t) -> {
          if (t == null) {
            usage.add("", MeteringSeries.ACCOUNT_OPS, op.label(), 1);
          }
        });
  }

  private <T> CompletionStage<T> basin(String basin, BasinOp op, CompletionStage<T> call) {
    return call.whenComplete(
        (v, t) -> {
          if (t == null) {
            usage.add(basin, MeteringSeries.BASIN_OPS, op.label(), 1);
          }
        });
  }

  @Override
  public CompletionStage<ListPage<BasinInfo>> listBasins(ListRequest request) {
    return account(AccountOp.LIST_BASINS, basins.listBasins(request));
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String location, String requestToken) {
    return account(
        AccountOp.CREATE_BASIN, basins.createBasin(basin, config, location, requestToken));
  }

  @Override
  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    return account(AccountOp.GET_BASIN_CONFIG, basins.getBasinConfig(basin));
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> ensureBasin(
      String basin, BasinConfig config, String location) {
    return account(AccountOp.ENSURE_BASIN, basins.ensureBasin(basin, config, location));
  }

  @Override
  public CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch) {
    return account(AccountOp.RECONFIGURE_BASIN, basins.reconfigureBasin(basin, patch));
  }

  @Override
  public CompletionStage<Void> deleteBasin(String basin) {
    return account(AccountOp.DELETE_BASIN, basins.deleteBasin(basin));
  }

  @Override
  public CompletionStage<ListPage<StreamInfo>> listStreams(String basin, ListRequest request) {
    return basin(basin, BasinOp.LIST_STREAMS, streams.listStreams(basin, request));
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> createStream(
      String basin, String stream, StreamConfig config, String requestToken) {
    return basin(
        basin, BasinOp.CREATE_STREAM, streams.createStream(basin, stream, config, requestToken));
  }

  @Override
  public CompletionStage<StreamConfig> getStreamConfig(String basin, String stream) {
    return basin(basin, BasinOp.GET_STREAM_CONFIG, streams.getStreamConfig(basin, stream));
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> ensureStream(
      String basin, String stream, StreamConfig config) {
    return basin(basin, BasinOp.ENSURE_STREAM, streams.ensureStream(basin, stream, config));
  }

  @Override
  public CompletionStage<StreamConfig> reconfigureStream(
      String basin, String stream, StreamReconfiguration patch) {
    return basin(
        basin, BasinOp.RECONFIGURE_STREAM, streams.reconfigureStream(basin, stream, patch));
  }

  @Override
  public CompletionStage<Void> deleteStream(String basin, String stream) {
    return basin(basin, BasinOp.DELETE_STREAM, streams.deleteStream(basin, stream));
  }
}
