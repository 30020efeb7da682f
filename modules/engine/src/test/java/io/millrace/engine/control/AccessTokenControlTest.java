package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import io.millrace.core.auth.ResourceSet;
import io.millrace.metadata.AccessTokenRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AccessTokenControlTest {
  private static final String ROOT = "root-token-for-tests-0123456789";
  private static final Instant T0 = Instant.parse("2026-12-02T06:00:00Z");

  private final SqliteMetadataStore store = SqliteMetadataStore.inMemory();
  private final MutableClock clock = new MutableClock(T0);
  private final AccessTokenControl tokens =
      new AccessTokenControl(store, clock, ROOT, Duration.ofSeconds(5));
  private final Principal root = Principal.root();

  @AfterEach
  void close() {
    store.close();
  }

  private static AccessTokenInfo request(String id, Instant expiresAt, AccessTokenScope scope) {
    return new AccessTokenInfo(id, expiresAt, false, scope);
  }

  private static AccessTokenScope ops(Operation... ops) {
    return new AccessTokenScope(
        ResourceSet.ALL, ResourceSet.ALL, null, null, EnumSet.of(ops[0], ops));
  }

  @Test
  void theRootTokenAuthenticatesAsRootAndOtherStringsAreRefusedWithAuthn() {
    assertThat(result(tokens.authenticate(ROOT)).isRoot()).isTrue();
    assertThat(code(tokens.authenticate(ROOT + "x"))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.authenticate(""))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.authenticate(null))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.authenticate("mr1.!!!.???"))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.authenticate("mr1.YQ.c2hvcnQ"))).isEqualTo(ErrorCode.AUTHN);
  }

  @Test
  void anIssuedTokenAuthenticatesWithItsScopeAndOnlyItsHashIsStored() {
    String secret = result(tokens.issue(root, request("svc-1", null, ops(Operation.READ))));
    Principal p = result(tokens.authenticate(secret));
    assertThat(p.isRoot()).isFalse();
    assertThat(p.token().id()).isEqualTo("svc-1");
    assertThat(p.allows(Operation.READ)).isTrue();
    assertThat(p.allows(Operation.APPEND)).isFalse();

    AccessTokenRecord row = result(store.getAccessToken("svc-1")).orElseThrow();
    assertThat(row.secretHash())
        .hasSize(64)
        .doesNotContain(secret.substring(secret.lastIndexOf('.') + 1));
    String tampered =
        secret.substring(0, secret.length() - 2) + (secret.endsWith("A") ? "BA" : "AA");
    assertThat(code(tokens.authenticate(tampered))).isEqualTo(ErrorCode.AUTHN);
  }

  @Test
  void issuingAnExistingIdIsAConflict() {
    result(tokens.issue(root, request("dup", null, ops(Operation.READ))));
    assertThat(code(tokens.issue(root, request("dup", null, ops(Operation.APPEND)))))
        .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
  }

  @Test
  void invalidIdsScopesAndExpiriesAreRefusedWith422() {
    assertThat(code(tokens.issue(root, request("", null, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(code(tokens.issue(root, request("a".repeat(97), null, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(code(tokens.issue(root, request("a\0b", null, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.INVALID);
    result(tokens.issue(root, request("a".repeat(96), null, ops(Operation.READ))));
    assertThat(
            code(
                tokens.issue(
                    root,
                    request("empty", null, new AccessTokenScope(null, null, null, null, null)))))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(code(tokens.issue(root, request("past", T0, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(
            code(
                tokens.issue(
                    root,
                    new AccessTokenInfo(
                        "auto",
                        null,
                        true,
                        new AccessTokenScope(
                            null, ResourceSet.exact("s"), null, null, Set.of(Operation.READ))))))
        .isEqualTo(ErrorCode.INVALID);
  }

  @Test
  void aTokenInheritsItsIssuersExpiryAndIsRefusedOnceExpired() {
    AccessTokenScope parentScope =
        new AccessTokenScope(
            ResourceSet.ALL,
            ResourceSet.ALL,
            ResourceSet.prefix("p"),
            null,
            EnumSet.of(Operation.ISSUE_ACCESS_TOKEN, Operation.READ));
    String parentSecret =
        result(tokens.issue(root, request("parent", T0.plusSeconds(60), parentScope)));
    Principal parent = result(tokens.authenticate(parentSecret));
    String childSecret =
        result(tokens.issue(parent, request("p-child", null, ops(Operation.READ))));
    Principal child = result(tokens.authenticate(childSecret));
    assertThat(child.expiresAt()).isEqualTo(T0.plusSeconds(60));

    assertThat(
            code(tokens.issue(parent, request("p-late", T0.plusSeconds(61), ops(Operation.READ)))))
        .isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(code(tokens.issue(parent, request("p-more", null, ops(Operation.APPEND)))))
        .isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(code(tokens.issue(parent, request("q-other", null, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(code(tokens.issue(child, request("p-grand", null, ops(Operation.READ)))))
        .isEqualTo(ErrorCode.PERMISSION_DENIED);

    clock.set(T0.plusSeconds(60));
    assertThat(code(tokens.authenticate(childSecret))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.authenticate(parentSecret))).isEqualTo(ErrorCode.AUTHN);
  }

  @Test
  void revokingATokenRefusesItAtOnceOnThisNodeAndItCannotBeRevokedTwice() {
    String secret = result(tokens.issue(root, request("gone", null, ops(Operation.READ))));
    result(tokens.authenticate(secret));
    AccessTokenInfo revoked = result(tokens.revoke(root, "gone"));
    assertThat(revoked.id()).isEqualTo("gone");
    assertThat(revoked.scope().ops()).containsExactly(Operation.READ);
    assertThat(code(tokens.authenticate(secret))).isEqualTo(ErrorCode.AUTHN);
    assertThat(code(tokens.revoke(root, "gone"))).isEqualTo(ErrorCode.ACCESS_TOKEN_NOT_FOUND);
  }

  @Test
  void anotherNodeRefusesARevokedTokenOnceItsCacheEntryExpires() throws Exception {
    AccessTokenControl other = new AccessTokenControl(store, clock, ROOT, Duration.ofMillis(200));
    String secret = result(tokens.issue(root, request("elsewhere", null, ops(Operation.READ))));
    result(other.authenticate(secret));
    result(tokens.revoke(root, "elsewhere"));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    ErrorCode seen = null;
    while (System.nanoTime() < deadline) {
      try {
        result(other.authenticate(secret));
        Thread.sleep(50);
      } catch (AssertionError e) {
        seen = code(other.authenticate(secret));
        break;
      }
    }
    assertThat(seen).isEqualTo(ErrorCode.AUTHN);
  }

  @Test
  void tokensListAndRevokeOnlyInsideTheCallersAccessTokenSet() {
    for (String id : new String[] {"team-a", "team-b", "team-c", "zeta"}) {
      result(tokens.issue(root, request(id, null, ops(Operation.READ))));
    }
    AccessTokenScope manager =
        new AccessTokenScope(
            null,
            null,
            ResourceSet.prefix("team-"),
            new OpGroups(new OpGroups.ReadWrite(true, true), null, null),
            null);
    Principal m =
        result(tokens.authenticate(result(tokens.issue(root, request("team-mgr", null, manager)))));

    ListPage<AccessTokenInfo> page = result(tokens.list(m, new ListRequest("", "", 2)));
    assertThat(page.items()).extracting(AccessTokenInfo::id).containsExactly("team-a", "team-b");
    assertThat(page.hasMore()).isTrue();
    page = result(tokens.list(m, new ListRequest("", "team-b", 10)));
    assertThat(page.items()).extracting(AccessTokenInfo::id).containsExactly("team-c", "team-mgr");
    assertThat(page.hasMore()).isFalse();
    assertThat(result(tokens.list(m, new ListRequest("zeta", "", 10))).items()).isEmpty();
    assertThat(result(tokens.list(root, new ListRequest("", "", 1000))).items()).hasSize(5);

    assertThat(code(tokens.revoke(m, "zeta"))).isEqualTo(ErrorCode.PERMISSION_DENIED);
    result(tokens.revoke(m, "team-a"));

    Principal reader =
        result(
            tokens.authenticate(
                result(tokens.issue(root, request("team-r", null, ops(Operation.READ))))));
    assertThat(code(tokens.list(reader, new ListRequest("", "", 10))))
        .isEqualTo(ErrorCode.PERMISSION_DENIED);
  }

  /** A clock the test sets. */
  private static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
      this.now = new AtomicReference<>(start);
    }

    void set(Instant t) {
      now.set(t);
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
