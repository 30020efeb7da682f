package io.millrace.grpc;

import io.millrace.core.ErrorCode;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.auth.AccessRequest;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Authentication and scope checks of gRPC calls, the counterpart of http's {@code AuthGate}: every
 * call needs {@code authorization: Bearer <token>} metadata, verified by the same {@link
 * AccessTokenService} as REST (UNAUTHENTICATED / {@code authn} otherwise), and the method's
 * operations ({@link GrpcOperations}) on the basin and stream the call names must be inside the
 * token's scope (PERMISSION_DENIED / {@code permission_denied}). The scope itself is decided by
 * {@link Principal} only. With no token service (auth off) every call is the root principal's.
 */
final class GrpcAuth {
  static final String AUTHORIZATION_KEY = "authorization";

  private final AccessTokenService tokens;

  /**
   * @param tokens the token service, or null for auth off
   */
  GrpcAuth(AccessTokenService tokens) {
    this.tokens = tokens;
  }

  /** The token service, or null when auth is off. */
  AccessTokenService tokens() {
    return tokens;
  }

  /** The caller of a call; fails with {@code authn}. */
  CompletionStage<Principal> authenticate(Metadata metadata) {
    if (tokens == null) {
      return CompletableFuture.completedFuture(Principal.root());
    }
    String value = metadata.getText(AUTHORIZATION_KEY).orElse(null);
    if (value == null) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.AUTHN, "missing authorization: Bearer access token metadata"));
    }
    String v = value.trim();
    if (v.length() < 7 || !v.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.AUTHN, "the authorization metadata is not a Bearer token"));
    }
    try {
      return tokens.authenticate(v.substring(7).trim());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Refuses a call outside the principal's scope: each operation of {@code method} on {@code basin}
   * and {@code stream} (the stored name, after the auto prefix; null when the call names none or
   * the name is invalid, which the call refuses itself).
   */
  static void check(Principal p, GrpcOperations.Method method, String basin, String stream) {
    String b = basin != null && Names.basinNameProblem(basin) == null ? basin : null;
    String s = stream != null && Names.streamNameProblem(stream) == null ? stream : null;
    for (Operation op : GrpcOperations.of(method)) {
      p.check(new AccessRequest(op, b, s, null));
    }
  }

  /**
   * The stored name of a stream named {@code name} in a request: valid itself, then qualified with
   * the token's auto prefix ({@code auto_prefix_streams}) and valid again (422 invalid).
   */
  static String stream(Principal p, String name) {
    GrpcCalls.stream(name);
    String stored = p.qualifyStream(name);
    return stored.equals(name) ? name : GrpcCalls.stream(stored);
  }

  // ---------------------------------------------------------------- the steps of every call

  /** What a basin or stream call acts on: the caller, the basin, the stored stream name or null. */
  record Target(Principal principal, String basin, String stream) {}

  /**
   * An {@code AccountService} call: authenticated, then the method's operations checked on {@code
   * basin} (the request's basin; null for the access token methods), then {@code body}.
   */
  <T> CompletionStage<T> onAccount(
      Metadata md,
      GrpcOperations.Method method,
      String basin,
      Function<Principal, CompletionStage<T>> body) {
    return GrpcCalls.authenticated(
        this,
        md,
        p -> {
          check(p, method, basin, null);
          return body.apply(p);
        });
  }

  /**
   * A call on the basin in {@code s2-basin} that names no stream ({@code ListStreams}):
   * authenticated, the basin read, the operations checked, then {@code body}.
   */
  <T> CompletionStage<T> onBasin(
      Metadata md, GrpcOperations.Method method, Function<Target, CompletionStage<T>> body) {
    return GrpcCalls.authenticated(
        this,
        md,
        p -> {
          String basin = GrpcCalls.basin(md);
          check(p, method, basin, null);
          return body.apply(new Target(p, basin, null));
        });
  }

  /**
   * A call on the stream {@code name} (as the client knows it) of the basin in {@code s2-basin}:
   * authenticated, the basin read, the name validated and qualified ({@link #stream}), the
   * operations checked, then {@code body}. Every failure is a failed stage.
   */
  <T> CompletionStage<T> onStream(
      Metadata md,
      GrpcOperations.Method method,
      String name,
      Function<Target, CompletionStage<T>> body) {
    return GrpcCalls.authenticated(
        this,
        md,
        p -> {
          String basin = GrpcCalls.basin(md);
          String stream = stream(p, name);
          check(p, method, basin, stream);
          return body.apply(new Target(p, basin, stream));
        });
  }

  /**
   * A streaming call: authenticated, then the responses of {@code body}; an authentication failure
   * or anything {@code body} throws fails the call's response stream (and so gets its status).
   */
  <T> Source<T, NotUsed> session(Metadata md, Function<Principal, Source<T, NotUsed>> body) {
    return Source.completionStageSource(
            GrpcCalls.call(() -> authenticate(md))
                .thenApply(
                    p -> {
                      try {
                        return body.apply(p);
                      } catch (RuntimeException e) {
                        return Source.<T>failed(e);
                      }
                    }))
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }
}
