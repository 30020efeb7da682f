package io.millrace.core.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * An access token as listed (spec section 4.3): its id, expiry (null: never), whether stream names
 * are prefixed automatically, and its scope. The secret is never part of it.
 */
public record AccessTokenInfo(
    String id, Instant expiresAt, boolean autoPrefixStreams, AccessTokenScope scope) {
  public AccessTokenInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(scope, "scope");
  }
}
