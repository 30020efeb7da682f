package io.millrace.grpc;

import static io.millrace.grpc.GrpcCalls.authenticated;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.auth.ScopedLists;
import io.millrace.core.config.BasinConfig;
import io.millrace.grpc.GrpcOperations.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;
import s2.v1alpha.AccountServicePowerApi;
import s2.v1alpha.CreateBasinRequest;
import s2.v1alpha.CreateBasinResponse;
import s2.v1alpha.DeleteBasinRequest;
import s2.v1alpha.DeleteBasinResponse;
import s2.v1alpha.GetBasinConfigRequest;
import s2.v1alpha.GetBasinConfigResponse;
import s2.v1alpha.IssueAccessTokenRequest;
import s2.v1alpha.IssueAccessTokenResponse;
import s2.v1alpha.ListAccessTokensRequest;
import s2.v1alpha.ListAccessTokensResponse;
import s2.v1alpha.ListBasinsRequest;
import s2.v1alpha.ListBasinsResponse;
import s2.v1alpha.ReconfigureBasinRequest;
import s2.v1alpha.ReconfigureBasinResponse;
import s2.v1alpha.RevokeAccessTokenRequest;
import s2.v1alpha.RevokeAccessTokenResponse;

/**
 * {@code s2.v1alpha.AccountService} over the core {@link BasinService}, the port the REST edge's
 * basin endpoints use. Every call is authenticated and scope-checked ({@link GrpcAuth}); lists show
 * only the basins in the token's scope. The access token rpcs answer {@code not_implemented}
 * (UNIMPLEMENTED) after authentication: REST serves access tokens (docs/grpc.md says why gRPC does
 * not).
 */
final class GrpcAccountService implements AccountServicePowerApi {
  private final BasinService basins;
  private final GrpcAuth auth;

  GrpcAccountService(BasinService basins, GrpcAuth auth) {
    this.basins = basins;
    this.auth = auth;
  }

  @Override
  public CompletionStage<ListBasinsResponse> listBasins(ListBasinsRequest in, Metadata md) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, Method.LIST_BASINS, null, null);
          GrpcCalls.listFilters(in.getPrefix(), in.getStartAfter(), true);
          return ScopedLists.list(
                  p.token().scope().basins(),
                  GrpcCodec.listRequest(
                      in.getPrefix(), in.getStartAfter(), in.hasLimit(), in.getLimit()),
                  basins::listBasins,
                  BasinInfo::name)
              .thenApply(GrpcCodec::basinList);
        });
  }

  @Override
  public CompletionStage<CreateBasinResponse> createBasin(CreateBasinRequest in, Metadata md) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, Method.CREATE_BASIN, in.getBasin(), null);
          String basin = GrpcCalls.basinName(in.getBasin());
          String token = GrpcCalls.requestToken(md);
          if (in.getScope() == s2.v1alpha.BasinScope.UNRECOGNIZED) {
            throw GrpcCodec.unknownEnum("scope", in.getScopeValue());
          }
          BasinConfig config =
              in.hasConfig() ? GrpcCodec.basinConfig(in.getConfig()) : BasinConfig.DEFAULT;
          config.validate();
          return basins
              .createBasin(basin, config, token)
              .thenApply(
                  created ->
                      CreateBasinResponse.newBuilder()
                          .setInfo(GrpcCodec.basinInfo(created.info()))
                          .build());
        });
  }

  @Override
  public CompletionStage<DeleteBasinResponse> deleteBasin(DeleteBasinRequest in, Metadata md) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, Method.DELETE_BASIN, in.getBasin(), null);
          return basins
              .deleteBasin(GrpcCalls.basinName(in.getBasin()))
              .thenApply(v -> DeleteBasinResponse.getDefaultInstance());
        });
  }

  @Override
  public CompletionStage<ReconfigureBasinResponse> reconfigureBasin(
      ReconfigureBasinRequest in, Metadata md) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, Method.RECONFIGURE_BASIN, in.getBasin(), null);
          String basin = GrpcCalls.basinName(in.getBasin());
          var patch = GrpcReconfiguration.basin(in.getConfig(), in.getMask());
          // Values being set must be valid on their own (a retention age of 0 is infinite here).
          patch.applyTo(BasinConfig.DEFAULT).validate();
          return basins
              .reconfigureBasin(basin, patch)
              .thenApply(
                  c ->
                      ReconfigureBasinResponse.newBuilder()
                          .setConfig(GrpcCodec.toProto(c))
                          .build());
        });
  }

  @Override
  public CompletionStage<GetBasinConfigResponse> getBasinConfig(
      GetBasinConfigRequest in, Metadata md) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, Method.GET_BASIN_CONFIG, in.getBasin(), null);
          return basins
              .getBasinConfig(GrpcCalls.basinName(in.getBasin()))
              .thenApply(
                  c -> GetBasinConfigResponse.newBuilder().setConfig(GrpcCodec.toProto(c)).build());
        });
  }

  @Override
  public CompletionStage<IssueAccessTokenResponse> issueAccessToken(
      IssueAccessTokenRequest in, Metadata md) {
    return notImplemented(md, Method.ISSUE_ACCESS_TOKEN, "issue-access-token");
  }

  @Override
  public CompletionStage<RevokeAccessTokenResponse> revokeAccessToken(
      RevokeAccessTokenRequest in, Metadata md) {
    return notImplemented(md, Method.REVOKE_ACCESS_TOKEN, "revoke-access-token");
  }

  @Override
  public CompletionStage<ListAccessTokensResponse> listAccessTokens(
      ListAccessTokensRequest in, Metadata md) {
    return notImplemented(md, Method.LIST_ACCESS_TOKENS, "list-access-tokens");
  }

  /** An access token rpc: authenticated and scope-checked like REST, then UNIMPLEMENTED. */
  private <T> CompletionStage<T> notImplemented(Metadata md, Method method, String operation) {
    return authenticated(
        auth,
        md,
        p -> {
          GrpcAuth.check(p, method, null, null);
          return CompletableFuture.failedFuture(
              new S2Exception(
                  ErrorCode.NOT_IMPLEMENTED,
                  operation + " is not served over gRPC by this server; use the REST API"));
        });
  }
}
