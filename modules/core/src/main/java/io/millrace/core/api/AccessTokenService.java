package io.millrace.core.api;

import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.Principal;
import java.util.concurrent.CompletionStage;

/**
 * Access tokens (spec section 4.3) and authentication of bearer tokens. Failures complete
 * exceptionally with S2Exception: 401 {@code authn} for a token that is not accepted, 403 {@code
 * permission_denied} outside the caller's scope, 422 {@code invalid}, 409 {@code
 * resource_already_exists}, 404 {@code access_token_not_found}.
 */
public interface AccessTokenService {

  /**
   * The principal of a bearer token (the root token or an issued, unexpired, unrevoked one); fails
   * with {@code authn} otherwise. Cheap in the steady state: verified tokens are cached briefly.
   */
  CompletionStage<Principal> authenticate(String bearerToken);

  /**
   * Issues {@code request} (its {@code expiresAt} null: the issuer's expiry) on behalf of {@code
   * issuer}; completes with the new token's secret, which is never shown again.
   */
  CompletionStage<String> issue(Principal issuer, AccessTokenInfo request);

  /** The tokens inside the caller's access token set that match {@code request}. */
  CompletionStage<ListPage<AccessTokenInfo>> list(Principal caller, ListRequest request);

  /**
   * Revokes a token; every node refuses it within the verification cache's lifetime. Completes with
   * what the revoked token was (the REST edge answers 204 and drops it; s2.v1alpha's {@code
   * RevokeAccessTokenResponse} carries it).
   */
  CompletionStage<AccessTokenInfo> revoke(Principal caller, String id);
}
