package io.millrace.client;

import com.google.protobuf.FieldMask;
import io.millrace.client.proto.CreateStreamRequest;
import io.millrace.client.proto.DeleteStreamRequest;
import io.millrace.client.proto.GetStreamConfigRequest;
import io.millrace.client.proto.ListStreamsRequest;
import io.millrace.client.proto.ListStreamsResponse;
import io.millrace.client.proto.ReconfigureStreamRequest;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.StreamInfo;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/** The stream operations of one basin (sent with {@code s2-basin}), and its streams. */
public final class BasinClient {
  private final MillraceClient client;
  private final String basin;

  BasinClient(MillraceClient client, String basin) {
    this.client = client;
    this.basin = basin;
  }

  public String name() {
    return basin;
  }

  MillraceClient client() {
    return client;
  }

  /** Reads and appends of {@code stream} in this basin. */
  public StreamClient stream(String stream) {
    return new StreamClient(this, stream);
  }

  /** One page of streams. */
  public CompletionStage<ListStreamsResponse> listStreams(ListStreamsRequest request) {
    Calls calls = client.calls;
    return calls.unary(true, S2Methods.LIST_STREAMS, request, basin, null);
  }

  /** Every stream whose name starts with {@code prefix}, following pages. */
  public CompletionStage<List<StreamInfo>> listAllStreams(String prefix) {
    return Calls.allPages(
        after ->
            listStreams(
                ListStreamsRequest.newBuilder().setPrefix(prefix).setStartAfter(after).build()),
        ListStreamsResponse::getStreamsList,
        ListStreamsResponse::getHasMore,
        StreamInfo::getName);
  }

  /** Creates a stream; idempotent across retries (a fresh {@code s2-request-token}). */
  public CompletionStage<StreamInfo> createStream(String stream, StreamConfig config) {
    Calls calls = client.calls;
    String token = UUID.randomUUID().toString();
    CreateStreamRequest req =
        CreateStreamRequest.newBuilder().setStream(stream).setConfig(config).build();
    return calls
        .unary(true, S2Methods.CREATE_STREAM, req, basin, token)
        .thenApply(r -> r.getInfo());
  }

  public CompletionStage<Void> deleteStream(String stream) {
    Calls calls = client.calls;
    DeleteStreamRequest req = DeleteStreamRequest.newBuilder().setStream(stream).build();
    return calls.unary(true, S2Methods.DELETE_STREAM, req, basin, null).thenApply(r -> null);
  }

  public CompletionStage<StreamConfig> getStreamConfig(String stream) {
    Calls calls = client.calls;
    GetStreamConfigRequest req = GetStreamConfigRequest.newBuilder().setStream(stream).build();
    return calls
        .unary(true, S2Methods.GET_STREAM_CONFIG, req, basin, null)
        .thenApply(r -> r.getConfig());
  }

  /**
   * Changes a stream's configuration (mask semantics as {@link MillraceClient#reconfigureBasin}).
   */
  public CompletionStage<StreamConfig> reconfigureStream(
      String stream, StreamConfig config, FieldMask mask) {
    Calls calls = client.calls;
    ReconfigureStreamRequest.Builder b =
        ReconfigureStreamRequest.newBuilder().setStream(stream).setConfig(config);
    if (mask != null) {
      b.setMask(mask);
    }
    ReconfigureStreamRequest req = b.build();
    return calls
        .unary(true, S2Methods.RECONFIGURE_STREAM, req, basin, null)
        .thenApply(r -> r.getConfig());
  }
}
