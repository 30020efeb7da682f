package io.millrace.grpc;

import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.auth.Principal;
import io.millrace.core.auth.ScopedLists;
import io.millrace.core.config.StreamConfig;
import io.millrace.grpc.GrpcOperations.Method;
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
 * stream endpoints use; the basin comes from {@code s2-basin}. Every call is authenticated and
 * scope-checked ({@link GrpcAuth}); stream names are qualified with the token's auto prefix and
 * shown without it, and lists show only the streams in the token's scope, as on REST.
 */
final class GrpcBasinService implements BasinServicePowerApi {
  private final StreamService streams;
  private final GrpcAuth auth;

  GrpcBasinService(StreamService streams, GrpcAuth auth) {
    this.streams = streams;
    this.auth = auth;
  }

  @Override
  public CompletionStage<ListStreamsResponse> listStreams(ListStreamsRequest in, Metadata md) {
    return auth.onBasin(
        md,
        Method.LIST_STREAMS,
        call -> {
          Principal p = call.principal();
          String basin = call.basin();
          GrpcCalls.listFilters(in.getPrefix(), in.getStartAfter(), false);
          ListRequest asked =
              GrpcCodec.listRequest(
                  in.getPrefix(), in.getStartAfter(), in.hasLimit(), in.getLimit());
          // auto_prefix_streams: the client's filters are relative to the prefix, and so are the
          // names.
          ListRequest request =
              new ListRequest(
                  p.qualifyStream(asked.prefix()),
                  asked.startAfter().isEmpty() ? "" : p.qualifyStream(asked.startAfter()),
                  asked.limit());
          return ScopedLists.list(
                  p.token().scope().streams(),
                  request,
                  r -> streams.listStreams(basin, r),
                  StreamInfo::name)
              .thenApply(
                  page ->
                      new ListPage<>(
                          page.items().stream().map(i -> unqualified(p, i)).toList(),
                          page.hasMore()))
              .thenApply(GrpcCodec::streamList);
        });
  }

  @Override
  public CompletionStage<CreateStreamResponse> createStream(CreateStreamRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.CREATE_STREAM,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          String token = GrpcCalls.requestToken(md);
          StreamConfig config =
              in.hasConfig() ? GrpcCodec.streamConfig(in.getConfig()) : StreamConfig.EMPTY;
          config.validate();
          return streams
              .createStream(basin, stream, config, token)
              .thenApply(
                  created ->
                      CreateStreamResponse.newBuilder()
                          .setInfo(
                              GrpcCodec.streamInfo(unqualified(call.principal(), created.info())))
                          .build());
        });
  }

  @Override
  public CompletionStage<DeleteStreamResponse> deleteStream(DeleteStreamRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.DELETE_STREAM,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          return streams
              .deleteStream(basin, stream)
              .thenApply(v -> DeleteStreamResponse.getDefaultInstance());
        });
  }

  @Override
  public CompletionStage<GetStreamConfigResponse> getStreamConfig(
      GetStreamConfigRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.GET_STREAM_CONFIG,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          return streams
              .getStreamConfig(basin, stream)
              .thenApply(
                  c ->
                      GetStreamConfigResponse.newBuilder().setConfig(GrpcCodec.toProto(c)).build());
        });
  }

  @Override
  public CompletionStage<ReconfigureStreamResponse> reconfigureStream(
      ReconfigureStreamRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.RECONFIGURE_STREAM,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
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

  /** A stream as the caller knows it: without its token's auto prefix. */
  private static StreamInfo unqualified(Principal p, StreamInfo i) {
    String name = p.unqualifyStream(i.name());
    return name.equals(i.name())
        ? i
        : new StreamInfo(name, i.createdAt(), i.deletedAt(), i.cipher());
  }
}
