package io.millrace.grpc;

import static io.millrace.grpc.GrpcCalls.authorize;
import static io.millrace.grpc.GrpcCalls.call;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinService;
import io.millrace.core.config.BasinConfig;
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
 * basin endpoints use. Access token calls answer {@code not_implemented} (UNIMPLEMENTED) until the
 * core has an access token service (issue 10 item 2), as the REST edge does.
 */
final class GrpcAccountService implements AccountServicePowerApi {
  private final BasinService basins;

  GrpcAccountService(BasinService basins) {
    this.basins = basins;
  }

  @Override
  public CompletionStage<ListBasinsResponse> listBasins(ListBasinsRequest in, Metadata md) {
    return call(
        () -> {
          authorize(md, "list-basins", null);
          GrpcCalls.listFilters(in.getPrefix(), in.getStartAfter(), true);
          return basins
              .listBasins(
                  GrpcCodec.listRequest(
                      in.getPrefix(), in.getStartAfter(), in.hasLimit(), in.getLimit()))
              .thenApply(GrpcCodec::basinList);
        });
  }

  @Override
  public CompletionStage<CreateBasinResponse> createBasin(CreateBasinRequest in, Metadata md) {
    return call(
        () -> {
          authorize(md, "create-basin", in.getBasin());
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
                  p ->
                      CreateBasinResponse.newBuilder()
                          .setInfo(GrpcCodec.basinInfo(p.info()))
                          .build());
        });
  }

  @Override
  public CompletionStage<DeleteBasinResponse> deleteBasin(DeleteBasinRequest in, Metadata md) {
    return call(
        () -> {
          authorize(md, "delete-basin", in.getBasin());
          return basins
              .deleteBasin(GrpcCalls.basinName(in.getBasin()))
              .thenApply(v -> DeleteBasinResponse.getDefaultInstance());
        });
  }

  @Override
  public CompletionStage<ReconfigureBasinResponse> reconfigureBasin(
      ReconfigureBasinRequest in, Metadata md) {
    return call(
        () -> {
          authorize(md, "reconfigure-basin", in.getBasin());
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
    return call(
        () -> {
          authorize(md, "get-basin-config", in.getBasin());
          return basins
              .getBasinConfig(GrpcCalls.basinName(in.getBasin()))
              .thenApply(
                  c -> GetBasinConfigResponse.newBuilder().setConfig(GrpcCodec.toProto(c)).build());
        });
  }

  @Override
  public CompletionStage<IssueAccessTokenResponse> issueAccessToken(
      IssueAccessTokenRequest in, Metadata md) {
    return notImplemented("issue-access-token");
  }

  @Override
  public CompletionStage<RevokeAccessTokenResponse> revokeAccessToken(
      RevokeAccessTokenRequest in, Metadata md) {
    return notImplemented("revoke-access-token");
  }

  @Override
  public CompletionStage<ListAccessTokensResponse> listAccessTokens(
      ListAccessTokensRequest in, Metadata md) {
    return notImplemented("list-access-tokens");
  }

  private static <T> CompletionStage<T> notImplemented(String operation) {
    return CompletableFuture.failedFuture(
        new S2Exception(
            ErrorCode.NOT_IMPLEMENTED, operation + " is not implemented by this server"));
  }
}
