package io.millrace.grpc;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.ListRequest;
import io.millrace.core.auth.ScopedLists;
import io.millrace.core.config.BasinConfig;
import io.millrace.grpc.GrpcOperations.Method;
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
 * {@code s2.v1alpha.AccountService} over the core {@link BasinService} and {@link
 * AccessTokenService}, the ports the REST edge's basin and access token endpoints use. Every call
 * is authenticated and scope-checked ({@link GrpcAuth}); lists show only the basins (tokens) in the
 * token's scope. The access token methods issue, list and revoke the same tokens as {@code
 * /v1/access-tokens} (shapes in {@link GrpcAccessTokens}); with authentication off they answer
 * {@code not_implemented}, as REST does.
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
    return auth.onAccount(
        md,
        Method.LIST_BASINS,
        null,
        p -> {
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
    return auth.onAccount(
        md,
        Method.CREATE_BASIN,
        in.getBasin(),
        p -> {
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
    return auth.onAccount(
        md,
        Method.DELETE_BASIN,
        in.getBasin(),
        p ->
            basins
                .deleteBasin(GrpcCalls.basinName(in.getBasin()))
                .thenApply(v -> DeleteBasinResponse.getDefaultInstance()));
  }

  @Override
  public CompletionStage<ReconfigureBasinResponse> reconfigureBasin(
      ReconfigureBasinRequest in, Metadata md) {
    return auth.onAccount(
        md,
        Method.RECONFIGURE_BASIN,
        in.getBasin(),
        p -> {
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
    return auth.onAccount(
        md,
        Method.GET_BASIN_CONFIG,
        in.getBasin(),
        p ->
            basins
                .getBasinConfig(GrpcCalls.basinName(in.getBasin()))
                .thenApply(
                    c ->
                        GetBasinConfigResponse.newBuilder()
                            .setConfig(GrpcCodec.toProto(c))
                            .build()));
  }

  // ---------------------------------------------------------------- access tokens

  @Override
  public CompletionStage<IssueAccessTokenResponse> issueAccessToken(
      IssueAccessTokenRequest in, Metadata md) {
    return auth.onAccount(
        md,
        Method.ISSUE_ACCESS_TOKEN,
        null,
        p ->
            tokens()
                .issue(p, GrpcAccessTokens.issueRequest(in))
                .thenApply(
                    secret ->
                        IssueAccessTokenResponse.newBuilder().setAccessToken(secret).build()));
  }

  @Override
  public CompletionStage<RevokeAccessTokenResponse> revokeAccessToken(
      RevokeAccessTokenRequest in, Metadata md) {
    return auth.onAccount(
        md,
        Method.REVOKE_ACCESS_TOKEN,
        null,
        p ->
            tokens()
                .revoke(p, GrpcAccessTokens.id(in.getId()))
                .thenApply(
                    info ->
                        RevokeAccessTokenResponse.newBuilder()
                            .setInfo(GrpcAccessTokens.toProto(info))
                            .build()));
  }

  @Override
  public CompletionStage<ListAccessTokensResponse> listAccessTokens(
      ListAccessTokensRequest in, Metadata md) {
    return auth.onAccount(
        md,
        Method.LIST_ACCESS_TOKENS,
        null,
        p -> {
          GrpcAccessTokens.checkFilter(in.getPrefix(), "prefix");
          GrpcAccessTokens.checkFilter(in.getStartAfter(), "start_after");
          ListRequest request =
              GrpcCodec.listRequest(
                  in.getPrefix(), in.getStartAfter(), in.hasLimit(), in.getLimit());
          return tokens().list(p, request).thenApply(GrpcAccessTokens::list);
        });
  }

  /** The token service; {@code not_implemented} with authentication off, as on REST. */
  private AccessTokenService tokens() {
    AccessTokenService tokens = auth.tokens();
    if (tokens == null) {
      throw new S2Exception(
          ErrorCode.NOT_IMPLEMENTED, "access tokens need authentication, which is off");
    }
    return tokens;
  }
}
