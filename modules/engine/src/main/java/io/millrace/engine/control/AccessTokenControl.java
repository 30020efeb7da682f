package io.millrace.engine.control;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.auth.AccessRequest;
import io.millrace.core.auth.AccessTokenIds;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import io.millrace.metadata.AccessTokenRecord;
import io.millrace.metadata.CreateResult;
import io.millrace.metadata.MetadataStore;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access tokens on the {@link MetadataStore} port: issue, list, revoke, and authentication of
 * bearer tokens (docs/adr/0008-access-tokens-and-auth.md).
 *
 * <p>An issued token is {@code mr1.<base64url(id)>.<base64url(32 random bytes)>}; only the SHA-256
 * of the 32 secret bytes is stored ({@code access_tokens.secret_hash}). The root token is not
 * stored: this node knows the SHA-256 of it from its configuration and compares in constant time.
 *
 * <p>Verification cache: an issued token's verdict (its row, or that there is none) is kept for
 * {@code cacheTtl} after it was read, so the data path reads no metadata in the steady state.
 * Revocation through this node drops its entries at once; other nodes stop accepting a revoked
 * token when their entry expires, so within {@code cacheTtl}. Expiry is checked on every request.
 * Failures of the store are not cached.
 */
public final class AccessTokenControl implements AccessTokenService {
  private static final Logger log = LoggerFactory.getLogger(AccessTokenControl.class);

  /** The prefix of issued tokens (format version 1). */
  static final String PREFIX = "mr1.";

  private static final int SECRET_BYTES = 32;
  private static final int MAX_TOKEN_CHARS = 4 + 128 + 1 + 43;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final MetadataStore metadata;
  private final Clock clock;
  private final byte[] rootHash;
  private final SecureRandom random = new SecureRandom();
  private final AsyncCache<String, Optional<AccessTokenRecord>> verified;

  /**
   * @param rootToken the root token (its hash is kept, not the token)
   * @param cacheTtl how long a verification is trusted; the bound on revocation delay
   */
  public AccessTokenControl(
      MetadataStore metadata, Clock clock, String rootToken, Duration cacheTtl) {
    this.metadata = metadata;
    this.clock = clock;
    this.rootHash = sha256(rootToken.getBytes(StandardCharsets.UTF_8));
    this.verified =
        Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(100_000).buildAsync();
  }

  // ---------------------------------------------------------------- authentication

  @Override
  public CompletionStage<Principal> authenticate(String bearerToken) {
    if (bearerToken == null || bearerToken.isEmpty()) {
      return failed(authn("missing access token"));
    }
    if (MessageDigest.isEqual(rootHash, sha256(bearerToken.getBytes(StandardCharsets.UTF_8)))) {
      return CompletableFuture.completedFuture(Principal.root());
    }
    Parsed parsed = parse(bearerToken);
    if (parsed == null) {
      return failed(authn("malformed access token"));
    }
    String key = HexFormat.of().formatHex(sha256(bearerToken.getBytes(StandardCharsets.UTF_8)));
    CompletableFuture<Optional<AccessTokenRecord>> row =
        verified.get(
            key,
            (k, executor) ->
                metadata
                    .getAccessToken(parsed.id())
                    .thenApply(r -> r.filter(t -> matches(t.secretHash(), parsed.secret())))
                    .toCompletableFuture());
    return row.thenApply(
        r -> {
          AccessTokenInfo info =
              r.orElseThrow(() -> authn("unknown or revoked access token")).info();
          Principal p = Principal.of(info);
          if (p.expiredAt(clock.instant())) {
            throw authn("access token expired");
          }
          return p;
        });
  }

  private record Parsed(String id, byte[] secret) {}

  /** The id and secret of an issued token, or null if it is not one. */
  private static Parsed parse(String token) {
    if (token.length() > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) {
      return null;
    }
    String rest = token.substring(PREFIX.length());
    int dot = rest.indexOf('.');
    if (dot <= 0 || rest.indexOf('.', dot + 1) >= 0) {
      return null;
    }
    try {
      byte[] idBytes = B64D.decode(rest.substring(0, dot));
      byte[] secret = B64D.decode(rest.substring(dot + 1));
      if (secret.length != SECRET_BYTES) {
        return null;
      }
      String id =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(idBytes))
              .toString();
      return AccessTokenIds.problem(id) == null ? new Parsed(id, secret) : null;
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return null;
    }
  }

  private static boolean matches(String storedHexHash, byte[] secret) {
    byte[] stored;
    try {
      stored = HexFormat.of().parseHex(storedHexHash);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(stored, sha256(secret));
  }

  // ---------------------------------------------------------------- issue, list, revoke

  @Override
  public CompletionStage<String> issue(Principal issuer, AccessTokenInfo request) {
    try {
      String problem = AccessTokenIds.problem(request.id());
      if (problem != null) {
        throw S2Exception.invalid(problem);
      }
      request.scope().validate(request.autoPrefixStreams());
      Instant now = clock.instant();
      Instant expiresAt =
          request.expiresAt() == null
              ? issuer.expiresAt()
              : request.expiresAt().truncatedTo(ChronoUnit.MILLIS);
      if (expiresAt != null && !expiresAt.isAfter(now)) {
        throw S2Exception.invalid("expires_at must be in the future");
      }
      AccessTokenInfo info =
          new AccessTokenInfo(
              request.id(), expiresAt, request.autoPrefixStreams(), request.scope());
      issuer.check(new AccessRequest(Operation.ISSUE_ACCESS_TOKEN, null, null, request.id()));
      issuer.requireCovers(info);
      byte[] secret = new byte[SECRET_BYTES];
      random.nextBytes(secret);
      AccessTokenRecord row =
          new AccessTokenRecord(
              request.id(),
              HexFormat.of().formatHex(sha256(secret)),
              info,
              now.truncatedTo(ChronoUnit.MILLIS));
      String token =
          PREFIX
              + B64.encodeToString(request.id().getBytes(StandardCharsets.UTF_8))
              + "."
              + B64.encodeToString(secret);
      return metadata
          .createAccessToken(row)
          .thenApply(
              result -> {
                if (result instanceof CreateResult.AlreadyExists<AccessTokenRecord>) {
                  throw new S2Exception(
                      ErrorCode.RESOURCE_ALREADY_EXISTS,
                      "access token '" + request.id() + "' already exists");
                }
                log.info(
                    "Issued access token {} (expires {}) by {}.",
                    request.id(),
                    expiresAt == null ? "never" : expiresAt,
                    issuer.isRoot() ? "the root token" : "token " + issuer.token().id());
                return token;
              });
    } catch (S2Exception e) {
      return failed(e);
    }
  }

  @Override
  public CompletionStage<ListPage<AccessTokenInfo>> list(Principal caller, ListRequest request) {
    try {
      caller.check(AccessRequest.of(Operation.LIST_ACCESS_TOKENS));
    } catch (S2Exception e) {
      return failed(e);
    }
    Principal.ListScope scope = Principal.listScope(caller.token().scope().accessTokens(), request);
    if (scope.nothing()) {
      return CompletableFuture.completedFuture(new ListPage<>(List.of(), false));
    }
    ListRequest r = scope.request();
    int fetch = Math.min(r.limit(), 1000) + 1;
    return metadata
        .listAccessTokens(r.prefix(), r.startAfter(), fetch)
        .thenApply(
            rows -> {
              List<AccessTokenInfo> out = new ArrayList<>();
              for (AccessTokenRecord row : rows) {
                if (scope.exactOnly() && !row.id().equals(r.prefix())) {
                  continue;
                }
                out.add(row.info());
              }
              boolean more = !scope.exactOnly() && out.size() > r.limit();
              return new ListPage<>(more ? out.subList(0, r.limit()) : out, more);
            });
  }

  @Override
  public CompletionStage<AccessTokenInfo> revoke(Principal caller, String id) {
    try {
      caller.check(new AccessRequest(Operation.REVOKE_ACCESS_TOKEN, null, null, id));
    } catch (S2Exception e) {
      return failed(e);
    }
    // The row is read first so that the answer can say what was revoked (ids are unique: the row
    // read is the row deleted, unless a concurrent revoke takes it first, which answers 404 here).
    return metadata
        .getAccessToken(id)
        .thenCompose(
            row -> {
              if (row.isEmpty()) {
                forget(id);
                return failed(notFound(id));
              }
              return metadata
                  .deleteAccessToken(id)
                  .thenApply(
                      removed -> {
                        forget(id);
                        if (!removed) {
                          throw notFound(id);
                        }
                        log.info(
                            "Revoked access token {} by {}.",
                            id,
                            caller.isRoot() ? "the root token" : "token " + caller.token().id());
                        return row.get().info();
                      });
            });
  }

  private static S2Exception notFound(String id) {
    return new S2Exception(ErrorCode.ACCESS_TOKEN_NOT_FOUND, "access token '" + id + "' not found");
  }

  /** Drops this node's cached verdicts of token {@code id}. */
  private void forget(String id) {
    verified
        .synchronous()
        .asMap()
        .entrySet()
        .removeIf(e -> e.getValue().map(r -> r.id().equals(id)).orElse(true));
  }

  // ---------------------------------------------------------------- helpers

  private static S2Exception authn(String message) {
    return new S2Exception(ErrorCode.AUTHN, message);
  }

  private static <T> CompletionStage<T> failed(Throwable t) {
    return CompletableFuture.failedFuture(t);
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
