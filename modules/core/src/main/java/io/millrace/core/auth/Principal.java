package io.millrace.core.auth;

import io.millrace.core.ErrorCode;
import io.millrace.core.KeyOrder;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ListRequest;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * The authenticated caller of a request: the root token (every operation on everything, no expiry)
 * or an issued access token. It decides, without any I/O, whether a request is inside the token's
 * scope ({@link #check}), how a list is narrowed to it ({@link #listScope}), whether a token it
 * issues stays within it ({@link #requireCovers}), and how stream names are prefixed for a token
 * with {@code auto_prefix_streams}. Every refusal is 403 {@code permission_denied}.
 */
public final class Principal {

  private final AccessTokenInfo token;
  private final boolean root;
  private final Set<Operation> allowed;

  private Principal(AccessTokenInfo token, boolean root) {
    this.token = Objects.requireNonNull(token, "token");
    this.root = root;
    this.allowed = token.scope().allowedOperations();
  }

  /** The root token's principal. */
  public static Principal root() {
    return new Principal(new AccessTokenInfo("", null, false, AccessTokenScope.ALL), true);
  }

  /** The principal of an issued token. */
  public static Principal of(AccessTokenInfo token) {
    return new Principal(token, false);
  }

  public boolean isRoot() {
    return root;
  }

  public AccessTokenInfo token() {
    return token;
  }

  /** When the token stops being accepted; null: never. */
  public Instant expiresAt() {
    return token.expiresAt();
  }

  /** Whether the token has expired at {@code now}. */
  public boolean expiredAt(Instant now) {
    return token.expiresAt() != null && !now.isBefore(token.expiresAt());
  }

  /** Whether the token allows {@code op} at all (on some resource). */
  public boolean allows(Operation op) {
    return allowed.contains(op);
  }

  /**
   * Refuses a request outside the scope: {@code op} must be allowed, and each resource the request
   * names (non-null: basin, full stream name, access token id) must be in the scope's set of that
   * kind.
   *
   * @throws S2Exception 403 {@code permission_denied}
   */
  public void check(AccessRequest request) {
    Operation op = request.operation();
    if (!allows(op)) {
      throw denied("the access token does not allow the operation " + op.wire());
    }
    if (request.basin() != null && !ResourceSet.matches(token.scope().basins(), request.basin())) {
      throw denied("the access token does not allow basin " + quote(request.basin()));
    }
    if (request.stream() != null
        && !ResourceSet.matches(token.scope().streams(), request.stream())) {
      throw denied("the access token does not allow stream " + quote(request.stream()));
    }
    if (request.accessToken() != null
        && !ResourceSet.matches(token.scope().accessTokens(), request.accessToken())) {
      throw denied("the access token does not allow access token " + quote(request.accessToken()));
    }
  }

  /**
   * Refuses a batch with a command record the token may not write: a fence needs {@code fence}, a
   * trim {@code trim} (on top of {@code append}, checked with the request).
   *
   * @throws S2Exception 403 {@code permission_denied}
   */
  public void checkCommands(AppendInput input) {
    for (AppendRecord r : input.records()) {
      if (!CommandRecords.isCommand(r.headers())) {
        continue;
      }
      byte[] value = r.headers().get(0).value();
      if (Arrays.equals(value, CommandRecords.FENCE) && !allows(Operation.FENCE)) {
        throw denied("the access token does not allow the operation fence");
      }
      if (Arrays.equals(value, CommandRecords.TRIM) && !allows(Operation.TRIM)) {
        throw denied("the access token does not allow the operation trim");
      }
    }
  }

  /** The prefix put in front of stream names ({@code auto_prefix_streams}), else "". */
  public String streamPrefix() {
    return token.autoPrefixStreams() && token.scope().streams() != null
        ? token.scope().streams().value()
        : "";
  }

  /** The stored name of a stream named {@code name} by this token's client. */
  public String qualifyStream(String name) {
    return name == null ? null : streamPrefix() + name;
  }

  /** The name this token's client knows a stored stream by (the auto prefix removed). */
  public String unqualifyStream(String stored) {
    String p = streamPrefix();
    return !p.isEmpty() && stored.startsWith(p) ? stored.substring(p.length()) : stored;
  }

  /**
   * The listing of the names of {@code set} that {@code request} asks for: the request narrowed to
   * the set's prefix, or to its one exact name, or nothing at all.
   */
  public static ListScope listScope(ResourceSet set, ListRequest request) {
    if (set == null || set.isEmpty()) {
      return ListScope.NOTHING;
    }
    String p = request.prefix();
    if (set.kind() == ResourceSet.Kind.PREFIX) {
      if (p.startsWith(set.value())) {
        return new ListScope(request, false);
      }
      if (set.value().startsWith(p)) {
        return new ListScope(
            new ListRequest(set.value(), request.startAfter(), request.limit()), false);
      }
      return ListScope.NOTHING;
    }
    String name = set.value();
    boolean after =
        request.startAfter().isEmpty() || KeyOrder.compare(name, request.startAfter()) > 0;
    if (name.startsWith(p) && after) {
      return new ListScope(new ListRequest(name, "", request.limit()), true);
    }
    return ListScope.NOTHING;
  }

  /**
   * How to list inside a resource set: {@code request} is what to ask the store (null: nothing to
   * list); when {@code exactOnly}, keep only the entry named exactly {@code request.prefix()}.
   */
  public record ListScope(ListRequest request, boolean exactOnly) {
    static final ListScope NOTHING = new ListScope(null, false);

    public boolean nothing() {
      return request == null;
    }
  }

  /**
   * Refuses to issue {@code child} unless it stays within this token: its id is in this token's
   * access token set, it allows no operation this token does not, names no basin, stream or token
   * outside this token's sets, and does not outlive it ({@code child.expiresAt()} is the resolved
   * expiry; null: never).
   *
   * @throws S2Exception 403 {@code permission_denied}
   */
  public void requireCovers(AccessTokenInfo child) {
    if (!ResourceSet.matches(token.scope().accessTokens(), child.id())) {
      throw denied("the access token does not allow access token " + quote(child.id()));
    }
    for (Operation op : child.scope().allowedOperations()) {
      if (!allows(op)) {
        throw denied(
            "cannot issue a token allowing " + op.wire() + ", which the issuing token does not");
      }
    }
    AccessTokenScope mine = token.scope();
    AccessTokenScope theirs = child.scope();
    if (!ResourceSet.covers(mine.basins(), theirs.basins())) {
      throw denied("cannot issue a token with basins outside the issuing token's basins");
    }
    if (!ResourceSet.covers(mine.streams(), theirs.streams())) {
      throw denied("cannot issue a token with streams outside the issuing token's streams");
    }
    if (!ResourceSet.covers(mine.accessTokens(), theirs.accessTokens())) {
      throw denied(
          "cannot issue a token with access tokens outside the issuing token's access tokens");
    }
    if (token.expiresAt() != null
        && (child.expiresAt() == null || child.expiresAt().isAfter(token.expiresAt()))) {
      throw denied("cannot issue a token that expires after the issuing token");
    }
  }

  private static S2Exception denied(String message) {
    return new S2Exception(ErrorCode.PERMISSION_DENIED, message);
  }

  private static String quote(String name) {
    return "'" + name + "'";
  }

  @Override
  public String toString() {
    return root ? "Principal[root]" : "Principal[" + token.id() + "]";
  }
}
