package io.millrace.grpc;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ListPage;
import io.millrace.core.auth.AccessTokenIds;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.ResourceSet;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * The s2.v1alpha shapes of access tokens ({@code AccessTokenInfo}, {@code AccessTokenScope}, {@code
 * ResourceSet}, {@code PermittedOperationGroups}, the {@code Operation} enum) to and from {@code
 * core.auth}, the types REST's JSON codec produces too, so both edges issue, list and revoke the
 * same tokens through the same {@code AccessTokenService}.
 *
 * <p>Mapping: an absent resource set (or one with neither {@code exact} nor {@code prefix}) grants
 * no resource of that kind; an empty {@code ops} list and an absent {@code op_groups} grant no
 * operation through that field; {@code expires_at} is whole seconds since the epoch. {@code
 * OPERATION_UNSPECIFIED} and unknown enum numbers are {@code bad_proto}. Operations v1alpha has no
 * number for (the location operations) are left out of listed scopes.
 */
final class GrpcAccessTokens {
  private static final String OP_PREFIX = "OPERATION_";

  private GrpcAccessTokens() {}

  /** The token an {@code IssueAccessTokenRequest} asks for ({@code expiresAt} null if unset). */
  static AccessTokenInfo issueRequest(s2.v1alpha.IssueAccessTokenRequest in) {
    if (!in.hasInfo()) {
      throw S2Exception.invalid("info is required");
    }
    s2.v1alpha.AccessTokenInfo info = in.getInfo();
    return new AccessTokenInfo(
        info.getId(),
        info.hasExpiresAt()
            ? Instant.ofEpochSecond(Integer.toUnsignedLong(info.getExpiresAt()))
            : null,
        info.getAutoPrefixStreams(),
        info.hasScope()
            ? scope(info.getScope())
            : new AccessTokenScope(null, null, null, null, null));
  }

  static AccessTokenScope scope(s2.v1alpha.AccessTokenScope in) {
    return new AccessTokenScope(
        in.hasBasins() ? set(in.getBasins()) : null,
        in.hasStreams() ? set(in.getStreams()) : null,
        in.hasAccessTokens() ? set(in.getAccessTokens()) : null,
        in.hasOpGroups() ? groups(in.getOpGroups()) : null,
        ops(in));
  }

  private static ResourceSet set(s2.v1alpha.ResourceSet in) {
    return switch (in.getMatchingCase()) {
      case EXACT -> ResourceSet.exact(in.getExact());
      case PREFIX -> ResourceSet.prefix(in.getPrefix());
      case MATCHING_NOT_SET -> null;
    };
  }

  private static OpGroups groups(s2.v1alpha.PermittedOperationGroups in) {
    return new OpGroups(
        in.hasAccount() ? readWrite(in.getAccount()) : null,
        in.hasBasin() ? readWrite(in.getBasin()) : null,
        in.hasStream() ? readWrite(in.getStream()) : null);
  }

  private static OpGroups.ReadWrite readWrite(s2.v1alpha.ReadWritePermissions in) {
    return new OpGroups.ReadWrite(in.getRead(), in.getWrite());
  }

  private static Set<Operation> ops(s2.v1alpha.AccessTokenScope in) {
    if (in.getOpsCount() == 0) {
      return null;
    }
    Set<Operation> out = EnumSet.noneOf(Operation.class);
    for (int i = 0; i < in.getOpsCount(); i++) {
      out.add(operation(in.getOps(i), in.getOpsValue(i)));
    }
    return out;
  }

  /** The core operation of a v1alpha enum value ({@code bad_proto} for unknown or unspecified). */
  static Operation operation(s2.v1alpha.Operation op, int number) {
    if (op == s2.v1alpha.Operation.UNRECOGNIZED) {
      throw GrpcCodec.unknownEnum("scope.ops", number);
    }
    if (op == s2.v1alpha.Operation.OPERATION_UNSPECIFIED) {
      throw new S2Exception(
          ErrorCode.BAD_PROTO, "scope.ops: OPERATION_UNSPECIFIED is not an operation");
    }
    return Operation.valueOf(op.name().substring(OP_PREFIX.length()));
  }

  /** The v1alpha enum value of a core operation, or null if v1alpha has none. */
  static s2.v1alpha.Operation operation(Operation op) {
    try {
      return s2.v1alpha.Operation.valueOf(OP_PREFIX + op.name());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static s2.v1alpha.AccessTokenInfo toProto(AccessTokenInfo t) {
    s2.v1alpha.AccessTokenInfo.Builder b =
        s2.v1alpha.AccessTokenInfo.newBuilder()
            .setId(t.id())
            .setAutoPrefixStreams(t.autoPrefixStreams());
    if (t.expiresAt() != null) {
      b.setExpiresAt(GrpcCodec.epochSeconds(t.expiresAt()));
    }
    AccessTokenScope scope = t.scope();
    s2.v1alpha.AccessTokenScope.Builder s = s2.v1alpha.AccessTokenScope.newBuilder();
    if (scope.basins() != null) {
      s.setBasins(toProto(scope.basins()));
    }
    if (scope.streams() != null) {
      s.setStreams(toProto(scope.streams()));
    }
    if (scope.accessTokens() != null) {
      s.setAccessTokens(toProto(scope.accessTokens()));
    }
    OpGroups g = scope.opGroups();
    if (g != null) {
      s2.v1alpha.PermittedOperationGroups.Builder gb =
          s2.v1alpha.PermittedOperationGroups.newBuilder();
      if (g.account() != null) {
        gb.setAccount(toProto(g.account()));
      }
      if (g.basin() != null) {
        gb.setBasin(toProto(g.basin()));
      }
      if (g.stream() != null) {
        gb.setStream(toProto(g.stream()));
      }
      s.setOpGroups(gb);
    }
    if (scope.ops() != null) {
      for (Operation op : scope.ops()) {
        s2.v1alpha.Operation wire = operation(op);
        if (wire != null) {
          s.addOps(wire);
        }
      }
    }
    return b.setScope(s).build();
  }

  private static s2.v1alpha.ResourceSet toProto(ResourceSet set) {
    return set.kind() == ResourceSet.Kind.EXACT
        ? s2.v1alpha.ResourceSet.newBuilder().setExact(set.value()).build()
        : s2.v1alpha.ResourceSet.newBuilder().setPrefix(set.value()).build();
  }

  private static s2.v1alpha.ReadWritePermissions toProto(OpGroups.ReadWrite rw) {
    return s2.v1alpha.ReadWritePermissions.newBuilder()
        .setRead(rw.read())
        .setWrite(rw.write())
        .build();
  }

  static s2.v1alpha.ListAccessTokensResponse list(ListPage<AccessTokenInfo> page) {
    s2.v1alpha.ListAccessTokensResponse.Builder b =
        s2.v1alpha.ListAccessTokensResponse.newBuilder().setHasMore(page.hasMore());
    for (AccessTokenInfo t : page.items()) {
      b.addAccessTokens(toProto(t));
    }
    return b.build();
  }

  /** A list filter or token id: at most {@link AccessTokenIds#MAX_BYTES} bytes, no NUL. */
  static void checkFilter(String value, String field) {
    if (value.getBytes(StandardCharsets.UTF_8).length > AccessTokenIds.MAX_BYTES
        || value.indexOf('\0') >= 0) {
      throw S2Exception.invalid(
          field + " must be at most " + AccessTokenIds.MAX_BYTES + " bytes, without NUL");
    }
  }

  /** The id of a token to revoke (422 invalid). */
  static String id(String id) {
    String problem = AccessTokenIds.problem(id);
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
    return id;
  }
}
