package io.millrace.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.ResourceSet;
import java.time.Instant;
import java.util.EnumSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.junit.jupiter.api.Test;
import s2.v1alpha.IssueAccessTokenRequest;
import s2.v1alpha.ListAccessTokensRequest;
import s2.v1alpha.RevokeAccessTokenRequest;

/** The v1alpha access token shapes against core.auth, and the token rpcs with auth off. */
class GrpcAccessTokensTest {

  private static s2.v1alpha.AccessTokenInfo.Builder proto() {
    return s2.v1alpha.AccessTokenInfo.newBuilder()
        .setId("svc")
        .setExpiresAt(2_000_000_000)
        .setAutoPrefixStreams(true)
        .setScope(
            s2.v1alpha.AccessTokenScope.newBuilder()
                .setBasins(s2.v1alpha.ResourceSet.newBuilder().setExact("b1"))
                .setStreams(s2.v1alpha.ResourceSet.newBuilder().setPrefix("app/"))
                .setOpGroups(
                    s2.v1alpha.PermittedOperationGroups.newBuilder()
                        .setStream(
                            s2.v1alpha.ReadWritePermissions.newBuilder()
                                .setRead(true)
                                .setWrite(true)))
                .addOps(s2.v1alpha.Operation.OPERATION_LIST_STREAMS)
                .addOps(s2.v1alpha.Operation.OPERATION_FENCE));
  }

  @Test
  void anIssueRequestBecomesTheCoreTokenAndComesBackUnchanged() {
    s2.v1alpha.AccessTokenInfo wire = proto().build();
    AccessTokenInfo core =
        GrpcAccessTokens.issueRequest(IssueAccessTokenRequest.newBuilder().setInfo(wire).build());
    assertThat(core.id()).isEqualTo("svc");
    assertThat(core.expiresAt()).isEqualTo(Instant.ofEpochSecond(2_000_000_000L));
    assertThat(core.autoPrefixStreams()).isTrue();
    assertThat(core.scope().basins()).isEqualTo(ResourceSet.exact("b1"));
    assertThat(core.scope().streams()).isEqualTo(ResourceSet.prefix("app/"));
    assertThat(core.scope().accessTokens()).isNull();
    assertThat(core.scope().opGroups())
        .isEqualTo(new OpGroups(null, null, new OpGroups.ReadWrite(true, true)));
    assertThat(core.scope().ops()).containsExactly(Operation.LIST_STREAMS, Operation.FENCE);
    assertThat(GrpcAccessTokens.toProto(core)).isEqualTo(wire);
  }

  @Test
  void absentAndEmptyPartsGrantNothing() {
    AccessTokenInfo core =
        GrpcAccessTokens.issueRequest(
            IssueAccessTokenRequest.newBuilder()
                .setInfo(
                    s2.v1alpha.AccessTokenInfo.newBuilder()
                        .setId("bare")
                        .setScope(
                            s2.v1alpha.AccessTokenScope.newBuilder()
                                .setBasins(s2.v1alpha.ResourceSet.getDefaultInstance())))
                .build());
    assertThat(core.expiresAt()).isNull();
    assertThat(core.scope().basins()).isNull();
    assertThat(core.scope().opGroups()).isNull();
    assertThat(core.scope().ops()).isNull();
    assertThat(core.scope().allowedOperations()).isEmpty();
    S2Exception noInfo =
        catchThrowableOfType(
            () -> GrpcAccessTokens.issueRequest(IssueAccessTokenRequest.getDefaultInstance()),
            S2Exception.class);
    assertThat(noInfo.code()).isEqualTo(ErrorCode.INVALID);
  }

  @Test
  void unspecifiedAndUnknownOperationsAreBadProto() {
    for (s2.v1alpha.AccessTokenScope.Builder scope :
        new s2.v1alpha.AccessTokenScope.Builder[] {
          s2.v1alpha.AccessTokenScope.newBuilder()
              .addOps(s2.v1alpha.Operation.OPERATION_UNSPECIFIED),
          s2.v1alpha.AccessTokenScope.newBuilder()
              .addOps(s2.v1alpha.Operation.OPERATION_READ)
              .addOpsValue(1234)
        }) {
      S2Exception e =
          catchThrowableOfType(
              () ->
                  GrpcAccessTokens.issueRequest(
                      IssueAccessTokenRequest.newBuilder()
                          .setInfo(proto().setScope(scope))
                          .build()),
              S2Exception.class);
      assertThat(e.code()).isEqualTo(ErrorCode.BAD_PROTO);
    }
  }

  @Test
  void everyV1alphaOperationHasItsCoreOperationAndLocationsHaveNone() {
    for (s2.v1alpha.Operation op : s2.v1alpha.Operation.values()) {
      if (op == s2.v1alpha.Operation.OPERATION_UNSPECIFIED
          || op == s2.v1alpha.Operation.UNRECOGNIZED) {
        continue;
      }
      Operation core = GrpcAccessTokens.operation(op, op.getNumber());
      assertThat(GrpcAccessTokens.operation(core)).isEqualTo(op);
    }
    AccessTokenInfo withLocations =
        new AccessTokenInfo(
            "loc",
            null,
            false,
            new AccessTokenScope(
                null,
                null,
                null,
                null,
                EnumSet.of(
                    Operation.LIST_LOCATIONS, Operation.READ, Operation.SET_DEFAULT_LOCATION)));
    assertThat(GrpcAccessTokens.toProto(withLocations).getScope().getOpsList())
        .containsExactly(s2.v1alpha.Operation.OPERATION_READ);
  }

  @Test
  void withAuthenticationOffTheTokenRpcsAreNotImplemented() {
    GrpcAccountService service = new GrpcAccountService(null, new GrpcAuth(null));
    var md = new MetadataBuilder().build();
    for (var call :
        java.util.List.<java.util.concurrent.CompletionStage<?>>of(
            service.issueAccessToken(
                IssueAccessTokenRequest.newBuilder().setInfo(proto()).build(), md),
            service.listAccessTokens(ListAccessTokensRequest.getDefaultInstance(), md),
            service.revokeAccessToken(
                RevokeAccessTokenRequest.newBuilder().setId("svc").build(), md))) {
      ExecutionException e =
          catchThrowableOfType(
              () -> call.toCompletableFuture().get(5, TimeUnit.SECONDS), ExecutionException.class);
      assertThat(e.getCause()).isInstanceOf(S2Exception.class);
      assertThat(((S2Exception) e.getCause()).code()).isEqualTo(ErrorCode.NOT_IMPLEMENTED);
    }
  }
}
