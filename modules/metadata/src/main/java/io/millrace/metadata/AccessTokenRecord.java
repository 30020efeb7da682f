package io.millrace.metadata;

import io.millrace.core.auth.AccessTokenInfo;
import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code access_tokens} (docs/metadata.md): an issued token's info (id, expiry, auto
 * prefix, scope) and the SHA-256 of its secret (lowercase hex). The secret itself is never stored.
 * Rows are created once and deleted on revocation; never updated.
 */
public record AccessTokenRecord(
    String id, String secretHash, AccessTokenInfo info, Instant createdAt) {
  public AccessTokenRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!info.id().equals(id)) {
      throw new IllegalArgumentException("info id " + info.id() + " differs from row id " + id);
    }
  }
}
