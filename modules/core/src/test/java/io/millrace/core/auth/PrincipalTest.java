package io.millrace.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ListRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The scope checks, table-driven: every operation against matching and non-matching scopes. */
class PrincipalTest {

  private static final Instant NOW = Instant.parse("2026-12-02T06:00:00Z");

  /** The resources an operation names in a request (basin, stream, access token). */
  private static AccessRequest request(Operation op, String basin, String stream, String token) {
    return switch (op) {
      case LIST_BASINS,
              ACCOUNT_METRICS,
              LIST_LOCATIONS,
              GET_DEFAULT_LOCATION,
              SET_DEFAULT_LOCATION,
              LIST_ACCESS_TOKENS ->
          AccessRequest.of(op);
      case CREATE_BASIN,
              DELETE_BASIN,
              RECONFIGURE_BASIN,
              GET_BASIN_CONFIG,
              LIST_STREAMS,
              BASIN_METRICS ->
          new AccessRequest(op, basin, null, null);
      case ISSUE_ACCESS_TOKEN, REVOKE_ACCESS_TOKEN -> new AccessRequest(op, null, null, token);
      default -> new AccessRequest(op, basin, stream, null);
    };
  }

  private static Principal token(
      ResourceSet basins,
      ResourceSet streams,
      ResourceSet tokens,
      OpGroups groups,
      Set<Operation> ops) {
    return Principal.of(
        new AccessTokenInfo(
            "t", null, false, new AccessTokenScope(basins, streams, tokens, groups, ops)));
  }

  private static boolean allowed(Principal p, AccessRequest r) {
    try {
      p.check(r);
      return true;
    } catch (S2Exception e) {
      assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
      return false;
    }
  }

  /** One row: a scope, the resources of the request, and whether each operation is allowed. */
  static Stream<Arguments> everyOperationAgainstScopes() {
    List<Arguments> rows = new ArrayList<>();
    ResourceSet all = ResourceSet.ALL;
    for (Operation op : Operation.values()) {
      Set<Operation> just = EnumSet.of(op);
      Set<Operation> others = EnumSet.complementOf(EnumSet.of(op));
      // Explicit op, every resource matches.
      rows.add(Arguments.of(op, token(all, all, all, null, just), "b1", "s1", "k1", true));
      // Every other op but this one.
      rows.add(Arguments.of(op, token(all, all, all, null, others), "b1", "s1", "k1", false));
      // Exact sets that match.
      rows.add(
          Arguments.of(
              op,
              token(
                  ResourceSet.exact("b1"),
                  ResourceSet.exact("s1"),
                  ResourceSet.exact("k1"),
                  null,
                  just),
              "b1",
              "s1",
              "k1",
              true));
      // Prefix sets that match and that do not.
      rows.add(
          Arguments.of(
              op,
              token(
                  ResourceSet.prefix("b"),
                  ResourceSet.prefix("s"),
                  ResourceSet.prefix("k"),
                  null,
                  just),
              "b1",
              "s1",
              "k1",
              true));
      AccessRequest named = request(op, "b1", "s1", "k1");
      boolean namesSomething =
          named.basin() != null || named.stream() != null || named.accessToken() != null;
      rows.add(
          Arguments.of(
              op,
              token(
                  ResourceSet.prefix("x"),
                  ResourceSet.prefix("x"),
                  ResourceSet.prefix("x"),
                  null,
                  just),
              "b1",
              "s1",
              "k1",
              !namesSomething));
      // Exact sets naming another resource, and the empty exact set (matches nothing).
      rows.add(
          Arguments.of(
              op,
              token(
                  ResourceSet.exact("b2"),
                  ResourceSet.exact("s2"),
                  ResourceSet.exact("k2"),
                  null,
                  just),
              "b1",
              "s1",
              "k1",
              !namesSomething));
      rows.add(
          Arguments.of(
              op,
              token(
                  ResourceSet.exact(""), ResourceSet.exact(""), ResourceSet.exact(""), null, just),
              "b1",
              "s1",
              "k1",
              !namesSomething));
      // No resource sets at all: only operations naming no resource.
      rows.add(
          Arguments.of(op, token(null, null, null, null, just), "b1", "s1", "k1", !namesSomething));
      // Op groups: the op's own group and access grants it; the other access does not.
      OpGroups.ReadWrite grant =
          new OpGroups.ReadWrite(
              op.access() == Operation.Access.READ, op.access() == Operation.Access.WRITE);
      OpGroups.ReadWrite opposite = new OpGroups.ReadWrite(!grant.read(), !grant.write());
      rows.add(
          Arguments.of(
              op, token(all, all, all, group(op.group(), grant), null), "b1", "s1", "k1", true));
      rows.add(
          Arguments.of(
              op,
              token(all, all, all, group(op.group(), opposite), null),
              "b1",
              "s1",
              "k1",
              false));
      // Another group with both permissions grants nothing here.
      Operation.Group other =
          op.group() == Operation.Group.STREAM ? Operation.Group.ACCOUNT : Operation.Group.STREAM;
      rows.add(
          Arguments.of(
              op,
              token(all, all, all, group(other, new OpGroups.ReadWrite(true, true)), null),
              "b1",
              "s1",
              "k1",
              false));
    }
    return rows.stream();
  }

  private static OpGroups group(Operation.Group g, OpGroups.ReadWrite rw) {
    return switch (g) {
      case ACCOUNT -> new OpGroups(rw, null, null);
      case BASIN -> new OpGroups(null, rw, null);
      case STREAM -> new OpGroups(null, null, rw);
    };
  }

  @ParameterizedTest(name = "{0} with {1} on {2}/{3}/{4}: allowed={5}")
  @MethodSource
  void everyOperationAgainstScopes(
      Operation op, Principal p, String basin, String stream, String token, boolean expected) {
    assertThat(allowed(p, request(op, basin, stream, token))).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(Operation.class)
  void theRootTokenAllowsEveryOperationOnEveryResource(Operation op) {
    assertThat(allowed(Principal.root(), request(op, "any-basin", "any/stream", "any-token")))
        .isTrue();
  }

  @Test
  void opGroupsGrantTheDocumentedOperations() {
    OpGroups.ReadWrite r = new OpGroups.ReadWrite(true, false);
    OpGroups.ReadWrite w = new OpGroups.ReadWrite(false, true);
    assertThat(new OpGroups(r, null, null).operations())
        .containsExactlyInAnyOrder(
            Operation.LIST_BASINS,
            Operation.GET_BASIN_CONFIG,
            Operation.LIST_ACCESS_TOKENS,
            Operation.ACCOUNT_METRICS,
            Operation.LIST_LOCATIONS,
            Operation.GET_DEFAULT_LOCATION);
    assertThat(new OpGroups(w, null, null).operations())
        .containsExactlyInAnyOrder(
            Operation.CREATE_BASIN,
            Operation.DELETE_BASIN,
            Operation.RECONFIGURE_BASIN,
            Operation.ISSUE_ACCESS_TOKEN,
            Operation.REVOKE_ACCESS_TOKEN,
            Operation.SET_DEFAULT_LOCATION);
    assertThat(new OpGroups(null, r, null).operations())
        .containsExactlyInAnyOrder(
            Operation.LIST_STREAMS, Operation.GET_STREAM_CONFIG, Operation.BASIN_METRICS);
    assertThat(new OpGroups(null, w, null).operations())
        .containsExactlyInAnyOrder(
            Operation.CREATE_STREAM, Operation.DELETE_STREAM, Operation.RECONFIGURE_STREAM);
    assertThat(new OpGroups(null, null, r).operations())
        .containsExactlyInAnyOrder(Operation.CHECK_TAIL, Operation.READ, Operation.STREAM_METRICS);
    assertThat(new OpGroups(null, null, w).operations())
        .containsExactlyInAnyOrder(Operation.APPEND, Operation.TRIM, Operation.FENCE);
  }

  @Test
  void operationWireNamesRoundTrip() {
    for (Operation op : Operation.values()) {
      assertThat(Operation.fromWire(op.wire())).isEqualTo(op);
    }
    assertThat(Operation.READ.wire()).isEqualTo("read");
    assertThat(Operation.GET_DEFAULT_LOCATION.wire()).isEqualTo("get-default-location");
    assertThat(Operation.fromWire("")).isNull();
    assertThat(Operation.fromWire("READ")).isNull();
  }

  @Test
  void aTokenIsExpiredFromItsExpiryOn() {
    Principal p =
        Principal.of(
            new AccessTokenInfo(
                "t",
                NOW,
                false,
                new AccessTokenScope(null, null, null, null, Set.of(Operation.READ))));
    assertThat(p.expiredAt(NOW.minusMillis(1))).isFalse();
    assertThat(p.expiredAt(NOW)).isTrue();
    assertThat(Principal.root().expiredAt(Instant.MAX)).isFalse();
  }

  // ---------------------------------------------------------------- issuing

  private static Principal issuer(Instant expiresAt) {
    return Principal.of(
        new AccessTokenInfo(
            "parent",
            expiresAt,
            false,
            new AccessTokenScope(
                ResourceSet.prefix("team-"),
                ResourceSet.prefix("logs/"),
                ResourceSet.prefix("child-"),
                new OpGroups(null, null, new OpGroups.ReadWrite(true, false)),
                EnumSet.of(Operation.ISSUE_ACCESS_TOKEN))));
  }

  private static AccessTokenInfo child(
      String id, Instant expiresAt, ResourceSet basins, ResourceSet streams, Set<Operation> ops) {
    return new AccessTokenInfo(
        id, expiresAt, false, new AccessTokenScope(basins, streams, null, null, ops));
  }

  @Test
  void aTokenMayIssueANarrowerTokenThatExpiresNoLater() {
    issuer(NOW)
        .requireCovers(
            child(
                "child-1",
                NOW,
                ResourceSet.exact("team-a"),
                ResourceSet.prefix("logs/app/"),
                EnumSet.of(Operation.READ)));
    issuer(null)
        .requireCovers(
            child("child-2", null, ResourceSet.exact(""), null, EnumSet.of(Operation.CHECK_TAIL)));
  }

  @Test
  void aTokenMayNotIssueMoreThanItHas() {
    Principal p = issuer(NOW);
    Set<Operation> read = EnumSet.of(Operation.READ);
    List<AccessTokenInfo> escalations =
        List.of(
            child("other-1", NOW, null, null, read), // id outside its access_tokens set
            child("child-1", NOW, null, null, EnumSet.of(Operation.APPEND)), // op it lacks
            child("child-1", NOW, ResourceSet.prefix("team"), null, read), // wider basins
            child("child-1", NOW, ResourceSet.ALL, null, read),
            child("child-1", NOW, ResourceSet.exact("other"), null, read),
            child("child-1", NOW, null, ResourceSet.prefix("log"), read), // wider streams
            child("child-1", NOW.plusMillis(1), null, null, read), // outlives it
            child("child-1", null, null, null, read)); // never expires
    for (AccessTokenInfo c : escalations) {
      assertThatThrownBy(() -> p.requireCovers(c))
          .as("issuing %s", c)
          .isInstanceOfSatisfying(
              S2Exception.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
    }
    AccessTokenInfo widerTokens =
        new AccessTokenInfo(
            "child-1",
            NOW,
            false,
            new AccessTokenScope(null, null, ResourceSet.prefix("chi"), null, read));
    assertThatThrownBy(() -> p.requireCovers(widerTokens)).isInstanceOf(S2Exception.class);
  }

  @Test
  void scopesGrantingNothingOrAutoPrefixWithoutAPrefixStreamSetAreInvalid() {
    assertInvalid(new AccessTokenScope(null, null, null, null, null), false);
    assertInvalid(
        new AccessTokenScope(null, null, null, null, EnumSet.noneOf(Operation.class)), false);
    assertInvalid(
        new AccessTokenScope(
            null, null, null, new OpGroups(new OpGroups.ReadWrite(false, false), null, null), null),
        false);
    assertInvalid(new AccessTokenScope(null, null, null, null, Set.of(Operation.READ)), true);
    assertInvalid(
        new AccessTokenScope(null, ResourceSet.exact("a"), null, null, Set.of(Operation.READ)),
        true);
    assertInvalid(
        new AccessTokenScope(
            ResourceSet.prefix("b".repeat(49)), null, null, null, Set.of(Operation.READ)),
        false);
    new AccessTokenScope(null, ResourceSet.prefix("ns/"), null, null, Set.of(Operation.READ))
        .validate(true);
  }

  private static void assertInvalid(AccessTokenScope scope, boolean autoPrefix) {
    assertThatThrownBy(() -> scope.validate(autoPrefix))
        .isInstanceOfSatisfying(
            S2Exception.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID));
  }

  // ---------------------------------------------------------------- listing and auto prefix

  @Test
  void listsAreNarrowedToThePrefixOrExactSetOrToNothing() {
    ListRequest any = new ListRequest("", "", 100);
    assertThat(Principal.listScope(ResourceSet.prefix("team-"), any).request())
        .isEqualTo(new ListRequest("team-", "", 100));
    assertThat(
            Principal.listScope(ResourceSet.prefix("team-"), new ListRequest("team-a", "x", 5))
                .request())
        .isEqualTo(new ListRequest("team-a", "x", 5));
    assertThat(
            Principal.listScope(ResourceSet.prefix("team-"), new ListRequest("other", "", 5))
                .nothing())
        .isTrue();
    Principal.ListScope exact = Principal.listScope(ResourceSet.exact("team-a"), any);
    assertThat(exact.request()).isEqualTo(new ListRequest("team-a", "", 100));
    assertThat(exact.exactOnly()).isTrue();
    assertThat(
            Principal.listScope(ResourceSet.exact("team-a"), new ListRequest("", "team-a", 5))
                .nothing())
        .isTrue();
    assertThat(Principal.listScope(ResourceSet.exact(""), any).nothing()).isTrue();
    assertThat(Principal.listScope(null, any).nothing()).isTrue();
    assertThat(Principal.listScope(ResourceSet.ALL, any).request()).isEqualTo(any);
  }

  @Test
  void autoPrefixStreamsQualifiesAndStripsStreamNames() {
    Principal p =
        Principal.of(
            new AccessTokenInfo(
                "t",
                null,
                true,
                new AccessTokenScope(
                    ResourceSet.ALL,
                    ResourceSet.prefix("tenant-1/"),
                    null,
                    null,
                    Set.of(Operation.READ))));
    assertThat(p.qualifyStream("events")).isEqualTo("tenant-1/events");
    assertThat(p.unqualifyStream("tenant-1/events")).isEqualTo("events");
    assertThat(Principal.root().qualifyStream("events")).isEqualTo("events");
    p.check(new AccessRequest(Operation.READ, "b", p.qualifyStream("x"), null));
  }
}
