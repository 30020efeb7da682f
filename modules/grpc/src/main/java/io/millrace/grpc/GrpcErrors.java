package io.millrace.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.japi.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures of gRPC calls become gRPC statuses (installed as the exception
 * handler of every service). The status code comes from {@link GrpcStatuses}; the description is
 * {@code "<s2 code>: <message>"}; the trailers carry the S2 code as {@code s2-error-code} and, for
 * retryable codes, {@code s2-retryable: true}. Rejected append conditions (HTTP 412) are {@code
 * FAILED_PRECONDITION} with {@code s2-error-code: seq_num_mismatch} and {@code
 * s2-expected-seq-num}, or {@code fencing_token_mismatch} and {@code s2-fencing-token}. Unparsable
 * request messages are {@code bad_proto}; anything unexpected is {@code other} (INTERNAL, logged).
 */
final class GrpcErrors {
  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  static final String ERROR_CODE_KEY = "s2-error-code";
  static final String RETRYABLE_KEY = "s2-retryable";
  static final String EXPECTED_SEQ_NUM_KEY = "s2-expected-seq-num";
  static final String FENCING_TOKEN_KEY = "s2-fencing-token";

  private GrpcErrors() {}

  /** A 412 append outcome, as a failure that {@link #trailers} turns into FAILED_PRECONDITION. */
  static final class AppendConditionFailed extends RuntimeException {
    final AppendOutcome outcome;

    AppendConditionFailed(AppendOutcome outcome) {
      super(describe(outcome), null, false, false);
      this.outcome = outcome;
    }

    private static String describe(AppendOutcome outcome) {
      if (outcome instanceof AppendOutcome.SeqNumMismatch m) {
        return "seq_num_mismatch: the batch's first record would get seq num " + m.expectedSeqNum();
      }
      if (outcome instanceof AppendOutcome.FencingTokenMismatch m) {
        return "fencing_token_mismatch: the stream's fencing token is '" + m.currentToken() + "'";
      }
      throw new IllegalArgumentException("not a rejected append outcome: " + outcome);
    }
  }

  /** The handler the generated services are created with. */
  static Function<ActorSystem, Function<Throwable, Trailers>> handler() {
    Function<ActorSystem, Function<Throwable, Trailers>> fallback =
        GrpcExceptionHandler.defaultMapper();
    return system -> {
      Function<Throwable, Trailers> pekkoDefault = fallback.apply(system);
      return t -> trailers(t, pekkoDefault);
    };
  }

  /** The trailers of a failed call. */
  static Trailers trailers(Throwable t, Function<Throwable, Trailers> pekkoDefault)
      throws Exception {
    Throwable cause = Failures.unwrap(t);
    if (cause instanceof S2Exception s) {
      if (s.code() == ErrorCode.OTHER || s.code() == ErrorCode.STORAGE) {
        log.warn("gRPC call failed with {}: {}", s.code().code(), s.getMessage(), s);
      }
      return of(s.code(), s.getMessage());
    }
    if (cause instanceof AppendConditionFailed f) {
      MetadataBuilder md = new MetadataBuilder();
      if (f.outcome instanceof AppendOutcome.SeqNumMismatch m) {
        md.addText(ERROR_CODE_KEY, "seq_num_mismatch");
        md.addText(EXPECTED_SEQ_NUM_KEY, Long.toUnsignedString(m.expectedSeqNum()));
      } else if (f.outcome instanceof AppendOutcome.FencingTokenMismatch m) {
        md.addText(ERROR_CODE_KEY, "fencing_token_mismatch");
        md.addText(FENCING_TOKEN_KEY, m.currentToken());
      }
      return new Trailers(Status.FAILED_PRECONDITION.withDescription(f.getMessage()), md.build());
    }
    if (cause instanceof InvalidProtocolBufferException e) {
      return of(ErrorCode.BAD_PROTO, "malformed protobuf message: " + e.getMessage());
    }
    if (cause instanceof GrpcServiceException g) {
      // Raised by Pekko gRPC itself (framing, encodings): keep its status.
      return new Trailers(g.status(), g.getMetadata());
    }
    Trailers standard = pekkoDefault.apply(cause);
    Status.Code code = standard.getStatus().getCode();
    if (code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN) {
      log.error("gRPC call failed unexpectedly", cause);
      return of(ErrorCode.OTHER, "internal error");
    }
    return standard;
  }

  /** The trailers of an S2 failure. */
  static Trailers of(ErrorCode code, String message) {
    MetadataBuilder md = new MetadataBuilder().addText(ERROR_CODE_KEY, code.code());
    if (code.retryable()) {
      md.addText(RETRYABLE_KEY, "true");
    }
    Status status =
        Status.fromCode(GrpcStatuses.of(code))
            .withDescription(code.code() + ": " + (message == null ? "" : message));
    return new Trailers(status, md.build());
  }
}
