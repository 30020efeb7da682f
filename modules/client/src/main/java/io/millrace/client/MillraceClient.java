package io.millrace.client;

import com.google.protobuf.FieldMask;
import com.typesafe.config.ConfigFactory;
import io.millrace.client.proto.AccessTokenInfo;
import io.millrace.client.proto.AccountServiceClient;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.BasinServiceClient;
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
import io.millrace.client.proto.StreamServiceClient;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * The Millrace Java SDK's entry point: one HTTP/2 connection to a Millrace (or S2 v1alpha) gRPC
 * endpoint, the account operations, and {@link #basin(String)} for the rest. Every call is
 * asynchronous and completes with the answer or fails with an {@link S2Error}. Thread-safe; close
 * it when done.
 *
 * <pre>{@code
 * try (MillraceClient client = MillraceClient.create(
 *     ClientConfig.builder(Endpoint.parse("http://127.0.0.1:9090")).accessToken(token).build())) {
 *   client.createBasin("my-basin", BasinConfig.getDefaultInstance()).toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class MillraceClient implements AutoCloseable {
  private final ClientConfig config;
  private final ActorSystem system;
  private final boolean ownsSystem;
  final Calls calls;
  final AccountServiceClient account;
  final BasinServiceClient basins;
  final StreamServiceClient streams;

  private MillraceClient(ClientConfig config, ActorSystem system, boolean ownsSystem) {
    this.config = config;
    this.system = system;
    this.ownsSystem = ownsSystem;
    this.calls = new Calls(config);
    GrpcClientSettings settings =
        GrpcClientSettings.connectToServiceAt(
                config.endpoint().host(), config.endpoint().port(), system)
            .withTls(config.endpoint().tls())
            // The SDK's retry policy bounds the tries; the channel itself keeps reconnecting.
            .withConnectionAttempts(-1);
    this.account = AccountServiceClient.create(settings, system);
    this.basins = BasinServiceClient.create(settings, system);
    this.streams = StreamServiceClient.create(settings, system);
  }

  /** A client with an actor system of its own, terminated by {@link #close()}. */
  public static MillraceClient create(ClientConfig config) {
    ActorSystem system =
        ActorSystem.create(
            "millrace-client",
            ConfigFactory.parseString(
                    "pekko.loglevel = WARNING\n"
                        + "pekko.stdout-loglevel = WARNING\n"
                        + "pekko.actor.provider = local\n"
                        + "pekko.log-dead-letters = off\n"
                        // a loaded machine can take longer than the default 5 s to start it
                        + "pekko.logger-startup-timeout = 60s\n"
                        + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
                .withFallback(ConfigFactory.load()));
    return new MillraceClient(config, system, true);
  }

  /** A client on the caller's actor system, which {@link #close()} leaves running. */
  public static MillraceClient create(ClientConfig config, ActorSystem system) {
    return new MillraceClient(config, system, false);
  }

  public ClientConfig config() {
    return config;
  }

  ActorSystem system() {
    return system;
  }

  /** The basin operations and streams of {@code basin}. */
  public BasinClient basin(String basin) {
    return new BasinClient(this, basin);
  }

  /** One page of basins whose names start with {@code prefix}, after {@code startAfter}. */
  public CompletionStage<ListBasinsResponse> listBasins(ListBasinsRequest request) {
    return calls.unary(true, () -> calls.auth(account.listBasins()).invoke(request));
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
    return calls
        .unary(
            true,
            () ->
                calls
                    .auth(account.createBasin())
                    .addHeader(Calls.REQUEST_TOKEN_HEADER, token)
                    .invoke(req))
        .thenApply(r -> r.getInfo());
  }

  /** Deletes a basin (its streams go in the background). */
  public CompletionStage<Void> deleteBasin(String basin) {
    DeleteBasinRequest req = DeleteBasinRequest.newBuilder().setBasin(basin).build();
    return calls
        .unary(true, () -> calls.auth(account.deleteBasin()).invoke(req))
        .thenApply(r -> null);
  }

  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    GetBasinConfigRequest req = GetBasinConfigRequest.newBuilder().setBasin(basin).build();
    return calls
        .unary(true, () -> calls.auth(account.getBasinConfig()).invoke(req))
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
        .unary(true, () -> calls.auth(account.reconfigureBasin()).invoke(req))
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
        .unary(false, () -> calls.auth(account.issueAccessToken()).invoke(req))
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
        .unary(true, () -> calls.auth(account.revokeAccessToken()).invoke(req))
        .thenApply(r -> r.getInfo());
  }

  /** One page of access tokens whose ids start with {@code prefix}, after {@code startAfter}. */
  public CompletionStage<ListAccessTokensResponse> listAccessTokens(
      ListAccessTokensRequest request) {
    return calls.unary(true, () -> calls.auth(account.listAccessTokens()).invoke(request));
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

  /** Closes the connections and, if the client made it, its actor system. */
  @Override
  public void close() {
    CompletableFuture.allOf(
            account.close().toCompletableFuture(),
            basins.close().toCompletableFuture(),
            streams.close().toCompletableFuture())
        .exceptionally(e -> null)
        .join();
    if (ownsSystem) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
