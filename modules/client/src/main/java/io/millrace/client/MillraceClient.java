package io.millrace.client;

import com.google.protobuf.FieldMask;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.millrace.client.proto.AccessTokenInfo;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.CreateBasinRequest;
import io.millrace.client.proto.DeleteBasinRequest;
import io.millrace.client.proto.GetBasinConfigRequest;
import io.millrace.client.proto.IssueAccessTokenRequest;
import io.millrace.client.proto.ListAccessTokensRequest;
import io.millrace.client.proto.ListAccessTokensResponse;
import io.millrace.client.proto.ListBasinsRequest;
import io.millrace.client.proto.ListBasinsResponse;
import io.millrace.client.proto.ReconfigureBasinRequest;
import io.millrace.client.proto.RevokeAccessTokenRequest;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The Millrace Java SDK's entry point: one HTTP/2 connection (a grpc-java channel over Netty; no
 * actor system) to a Millrace (or S2 v1alpha) gRPC endpoint, the account operations, and {@link
 * #basin(String)} for the rest. Every call is asynchronous and completes with the answer or fails
 * with an {@link S2Error}. Thread-safe; close it when done.
 *
 * <pre>{@code
 * try (MillraceClient client = MillraceClient.create(
 *     ClientConfig.builder(Endpoint.parse("http://127.0.0.1:9090")).accessToken(token).build())) {
 *   client.createBasin("my-basin", BasinConfig.getDefaultInstance()).toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class MillraceClient implements AutoCloseable {
  /**
   * The largest message the client takes from the server. Above grpc-java's 4 MiB default: a read
   * batch holds up to 1 MiB of metered record bytes, plus framing.
   */
  static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final ClientConfig config;
  private final ManagedChannel channel;
  final Calls calls;

  private MillraceClient(ClientConfig config) {
    this.config = config;
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(config.endpoint().host(), config.endpoint().port())
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            // Advertise no message encodings (no grpc-accept-encoding: gzip), so the server
            // answers uncompressed: record bodies are often compressed or random already, and
            // gzip of a 1 MiB read answer cost more than half of a catch-up read's time
            // (docs/benchmarks.md, idle figures of session 8).
            .decompressorRegistry(
                io.grpc.DecompressorRegistry.emptyInstance()
                    .with(io.grpc.Codec.Identity.NONE, false))
            .userAgent("millrace-java-sdk");
    if (config.endpoint().tls()) {
      // the JVM's default trust store (javax.net.ssl.trustStore if set)
      builder.useTransportSecurity();
    } else {
      builder.usePlaintext();
    }
    this.channel = builder.build();
    this.calls = new Calls(config, channel);
  }

  /**
   * A client on a channel of its own (closed by {@link #close()}). The channel connects on the
   * first call and reconnects after a lost connection; the retry policy bounds the tries.
   */
  public static MillraceClient create(ClientConfig config) {
    return new MillraceClient(config);
  }

  public ClientConfig config() {
    return config;
  }

  /** The basin operations and streams of {@code basin}. */
  public BasinClient basin(String basin) {
    return new BasinClient(this, basin);
  }

  /** One page of basins whose names start with {@code prefix}, after {@code startAfter}. */
  public CompletionStage<ListBasinsResponse> listBasins(ListBasinsRequest request) {
    return calls.unary(true, S2Methods.LIST_BASINS, request, null, null);
  }

  /** Every basin whose name starts with {@code prefix}, following pages. */
  public CompletionStage<List<BasinInfo>> listAllBasins(String prefix) {
    return Calls.allPages(
        after ->
            listBasins(
                ListBasinsRequest.newBuilder().setPrefix(prefix).setStartAfter(after).build()),
        ListBasinsResponse::getBasinsList,
        ListBasinsResponse::getHasMore,
        BasinInfo::getName);
  }

  /**
   * Creates a basin. Sent with a fresh {@code s2-request-token}, so a retry after a lost answer
   * returns the basin this call created instead of {@code resource_already_exists}.
   */
  public CompletionStage<BasinInfo> createBasin(String basin, BasinConfig config) {
    String token = UUID.randomUUID().toString();
    CreateBasinRequest req =
        CreateBasinRequest.newBuilder().setBasin(basin).setConfig(config).build();
    return calls.unary(true, S2Methods.CREATE_BASIN, req, null, token).thenApply(r -> r.getInfo());
  }

  /** Deletes a basin (its streams go in the background). */
  public CompletionStage<Void> deleteBasin(String basin) {
    DeleteBasinRequest req = DeleteBasinRequest.newBuilder().setBasin(basin).build();
    return calls.unary(true, S2Methods.DELETE_BASIN, req, null, null).thenApply(r -> null);
  }

  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    GetBasinConfigRequest req = GetBasinConfigRequest.newBuilder().setBasin(basin).build();
    return calls
        .unary(true, S2Methods.GET_BASIN_CONFIG, req, null, null)
        .thenApply(r -> r.getConfig());
  }

  /**
   * Changes a basin's configuration: with a {@code mask}, the named fields are set from {@code
   * config} (reset when unset there); without one, the fields set in {@code config}.
   */
  public CompletionStage<BasinConfig> reconfigureBasin(
      String basin, BasinConfig config, FieldMask mask) {
    ReconfigureBasinRequest.Builder b =
        ReconfigureBasinRequest.newBuilder().setBasin(basin).setConfig(config);
    if (mask != null) {
      b.setMask(mask);
    }
    ReconfigureBasinRequest req = b.build();
    return calls
        .unary(true, S2Methods.RECONFIGURE_BASIN, req, null, null)
        .thenApply(r -> r.getConfig());
  }

  /**
   * Issues an access token described by {@code info} (its id, scope, optional expiry) and completes
   * with the secret, which the server shows only this once. Not retried: after a lost answer the
   * token may exist with a secret nobody saw, so a retry would fail with {@code
   * resource_already_exists}; revoke it and issue again instead.
   */
  public CompletionStage<String> issueAccessToken(AccessTokenInfo info) {
    IssueAccessTokenRequest req = IssueAccessTokenRequest.newBuilder().setInfo(info).build();
    return calls
        .unary(false, S2Methods.ISSUE_ACCESS_TOKEN, req, null, null)
        .thenApply(r -> r.getAccessToken());
  }

  /**
   * Revokes the access token {@code id}; completes with what it was. Retried on retryable failures,
   * so a revocation whose first answer was lost may end in {@code access_token_not_found}: the
   * token is revoked either way.
   */
  public CompletionStage<AccessTokenInfo> revokeAccessToken(String id) {
    RevokeAccessTokenRequest req = RevokeAccessTokenRequest.newBuilder().setId(id).build();
    return calls
        .unary(true, S2Methods.REVOKE_ACCESS_TOKEN, req, null, null)
        .thenApply(r -> r.getInfo());
  }

  /** One page of access tokens whose ids start with {@code prefix}, after {@code startAfter}. */
  public CompletionStage<ListAccessTokensResponse> listAccessTokens(
      ListAccessTokensRequest request) {
    return calls.unary(true, S2Methods.LIST_ACCESS_TOKENS, request, null, null);
  }

  /** Every access token whose id starts with {@code prefix}, following pages. */
  public CompletionStage<List<AccessTokenInfo>> listAllAccessTokens(String prefix) {
    return Calls.allPages(
        after ->
            listAccessTokens(
                ListAccessTokensRequest.newBuilder()
                    .setPrefix(prefix)
                    .setStartAfter(after)
                    .build()),
        ListAccessTokensResponse::getAccessTokensList,
        ListAccessTokensResponse::getHasMore,
        AccessTokenInfo::getId);
  }

  /**
   * Closes the channel: calls still running get up to 5 s to finish, then are cancelled. Close
   * sessions first.
   */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
