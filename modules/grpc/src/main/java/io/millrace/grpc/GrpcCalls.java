package io.millrace.grpc;

import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.EncryptionKey;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * Request metadata of gRPC calls (the counterpart of REST's headers): {@code s2-basin} for basin
 * and stream calls, {@code s2-request-token} for creates, and the access token in {@code
 * authorization} ({@link #authorize}).
 */
final class GrpcCalls {
  static final String BASIN_KEY = "s2-basin";
  static final String REQUEST_TOKEN_KEY = "s2-request-token";
  static final String ENCRYPTION_KEY_KEY = "s2-encryption-key";
  static final String AUTHORIZATION_KEY = "authorization";

  private GrpcCalls() {}

  /**
   * Runs a call's body, turning anything it throws before it returns a stage (bad metadata, an
   * unknown enum value, a 422) into a failed stage, so every failure reaches {@link GrpcErrors}.
   */
  static <T> CompletionStage<T> call(Supplier<CompletionStage<T>> body) {
    try {
      return body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Where the {@code authorization} metadata of every call ({@code Bearer <token>}) is to be
   * checked against the account's access tokens and the operation's scope, exactly as the REST edge
   * checks its {@code Authorization} header. The REST edge has no token verification yet (issue 10
   * item 2 adds it), so this accepts every call, as REST does today; when the verifier lands in the
   * core it is called from here, and a refusal is thrown as {@link S2Exception} with {@code authn}
   * (UNAUTHENTICATED) or {@code permission_denied} (PERMISSION_DENIED).
   *
   * @param operation the S2 operation name, as in access token scopes (for example {@code append})
   * @param basin the basin the call works on, or null for account-level calls
   */
  static void authorize(Metadata metadata, String operation, String basin) {
    // Intentionally no check: see the Javadoc. The token is not parsed so that nothing relies on
    // a check that does not exist.
  }

  /** The basin of a basin or stream call, from {@code s2-basin} (400 bad_header). */
  static String basin(Metadata metadata) {
    String basin = metadata.getText(BASIN_KEY).orElse(null);
    if (basin == null) {
      throw new S2Exception(ErrorCode.BAD_HEADER, "missing s2-basin metadata");
    }
    String problem = Names.basinNameProblem(basin);
    if (problem != null) {
      throw new S2Exception(ErrorCode.BAD_HEADER, "invalid s2-basin metadata: " + problem);
    }
    return basin;
  }

  /** The optional {@code s2-request-token}, at most 36 bytes (400 bad_header). */
  static String requestToken(Metadata metadata) {
    String token = metadata.getText(REQUEST_TOKEN_KEY).orElse(null);
    if (token != null
        && token.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_REQUEST_TOKEN_BYTES) {
      throw new S2Exception(
          ErrorCode.BAD_HEADER,
          "s2-request-token must be at most " + Limits.MAX_REQUEST_TOKEN_BYTES + " bytes");
    }
    return token;
  }

  /**
   * The optional {@code s2-encryption-key} (base64 of 32 bytes; 400 bad_header otherwise, without
   * echoing it), null when absent. Held for the call only.
   */
  static EncryptionKey encryptionKey(Metadata metadata) {
    String value = metadata.getText(ENCRYPTION_KEY_KEY).orElse(null);
    return value == null ? null : EncryptionKey.fromBase64(value, ENCRYPTION_KEY_KEY);
  }

  /** A stream name from a request message (422 invalid). */
  static String stream(String name) {
    String problem = Names.streamNameProblem(name);
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
    return name;
  }

  /** A basin name from a request message (422 invalid). */
  static String basinName(String name) {
    String problem = Names.basinNameProblem(name);
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
    return name;
  }

  /** List filters (422 invalid). */
  static void listFilters(String prefix, String startAfter, boolean basins) {
    String problem =
        basins
            ? first(
                Names.basinFilterProblem(prefix, "prefix"),
                Names.basinFilterProblem(startAfter, "start_after"))
            : first(
                Names.streamFilterProblem(prefix, "prefix"),
                Names.streamFilterProblem(startAfter, "start_after"));
    if (problem != null) {
      throw S2Exception.invalid(problem);
    }
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }
}
