package io.millrace.grpc;

import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * Request metadata of gRPC calls (the counterpart of REST's headers): {@code s2-basin} for basin
 * and stream calls, {@code s2-request-token} for creates, and the access token in {@code
 * authorization} ({@link GrpcAuth}).
 */
final class GrpcCalls {
  static final String BASIN_KEY = "s2-basin";
  static final String REQUEST_TOKEN_KEY = "s2-request-token";
  static final String ENCRYPTION_KEY_KEY = "s2-encryption-key";

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
   * Authenticates a call ({@link GrpcAuth#authenticate}) and then runs its body with the caller's
   * principal, every failure (authn, permission_denied, bad metadata) as a failed stage.
   */
  static <T> CompletionStage<T> authenticated(
      GrpcAuth auth, Metadata metadata, Function<Principal, CompletionStage<T>> body) {
    return call(() -> auth.authenticate(metadata))
        .thenCompose(principal -> call(() -> body.apply(principal)));
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
