package io.millrace.grpc;

import static io.millrace.grpc.GrpcCalls.authorize;
import static io.millrace.grpc.GrpcCalls.call;

import io.millrace.core.api.StreamService;
import io.millrace.core.config.StreamConfig;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;
import s2.v1alpha.BasinServicePowerApi;
import s2.v1alpha.CreateStreamRequest;
import s2.v1alpha.CreateStreamResponse;
import s2.v1alpha.DeleteStreamRequest;
import s2.v1alpha.DeleteStreamResponse;
import s2.v1alpha.GetStreamConfigRequest;
import s2.v1alpha.GetStreamConfigResponse;
import s2.v1alpha.ListStreamsRequest;
import s2.v1alpha.ListStreamsResponse;
import s2.v1alpha.ReconfigureStreamRequest;
import s2.v1alpha.ReconfigureStreamResponse;

/**
 * {@code s2.v1alpha.BasinService} over the core {@link StreamService}, the port the REST edge's
 * stream endpoints use; the basin comes from {@code s2-basin}.
 */
final class GrpcBasinService implements BasinServicePowerApi {
  private final StreamService streams;

  GrpcBasinService(StreamService streams) {
    this.streams = streams;
  }

  @Override
  public CompletionStage<ListStreamsResponse> listStreams(ListStreamsRequest in, Metadata md) {
    return call(
        () -> {
          String basin = GrpcCalls.basin(md);
          authorize(md, "list-streams", basin);
          GrpcCalls.listFilters(in.getPrefix(), in.getStartAfter(), false);
          return streams
              .listStreams(
                  basin,
                  GrpcCodec.listRequest(
                      in.getPrefix(), in.getStartAfter(), in.hasLimit(), in.getLimit()))
              .thenApply(GrpcCodec::streamList);
        });
  }

  @Override
  public CompletionStage<CreateStreamResponse> createStream(CreateStreamRequest in, Metadata md) {
    return call(
        () -> {
          String basin = GrpcCalls.basin(md);
          authorize(md, "create-stream", basin);
          String stream = GrpcCalls.stream(in.getStream());
          String token = GrpcCalls.requestToken(md);
          StreamConfig config =
              in.hasConfig() ? GrpcCodec.streamConfig(in.getConfig()) : StreamConfig.EMPTY;
          config.validate();
          return streams
              .createStream(basin, stream, config, token)
              .thenApply(
                  p ->
                      CreateStreamResponse.newBuilder()
                          .setInfo(GrpcCodec.streamInfo(p.info()))
                          .build());
        });
  }

  @Override
  public CompletionStage<DeleteStreamResponse> deleteStream(DeleteStreamRequest in, Metadata md) {
    return call(
        () -> {
          String basin = GrpcCalls.basin(md);
          authorize(md, "delete-stream", basin);
          return streams
              .deleteStream(basin, GrpcCalls.stream(in.getStream()))
              .thenApply(v -> DeleteStreamResponse.getDefaultInstance());
        });
  }

  @Override
  public CompletionStage<GetStreamConfigResponse> getStreamConfig(
      GetStreamConfigRequest in, Metadata md) {
    return call(
        () -> {
          String basin = GrpcCalls.basin(md);
          authorize(md, "get-stream-config", basin);
          return streams
              .getStreamConfig(basin, GrpcCalls.stream(in.getStream()))
              .thenApply(
                  c ->
                      GetStreamConfigResponse.newBuilder().setConfig(GrpcCodec.toProto(c)).build());
        });
  }

  @Override
  public CompletionStage<ReconfigureStreamResponse> reconfigureStream(
      ReconfigureStreamRequest in, Metadata md) {
    return call(
        () -> {
          String basin = GrpcCalls.basin(md);
          authorize(md, "reconfigure-stream", basin);
          String stream = GrpcCalls.stream(in.getStream());
          var patch = GrpcReconfiguration.stream(in.getConfig(), in.getMask());
          patch.applyTo(StreamConfig.EMPTY).validate();
          return streams
              .reconfigureStream(basin, stream, patch)
              .thenApply(
                  c ->
                      ReconfigureStreamResponse.newBuilder()
                          .setConfig(GrpcCodec.toProto(c))
                          .build());
        });
  }
}
