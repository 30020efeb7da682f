package io.millrace.http;

import static io.millrace.core.Failures.unwrap;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.record.StreamPosition;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.StreamTcpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures and rejected outcomes become HTTP responses (spec section 8).
 *
 * <ul>
 *   <li>{@link S2Exception}: the code's status ({@link HttpStatuses}) with {@code {"code",
 *       "message"}};
 *   <li>412 append condition failures: {@code {"seq_num_mismatch": N}} / {@code
 *       {"fencing_token_mismatch": "t"}};
 *   <li>416 read range: {@code {"tail": {...}}};
 *   <li>edge conditions without an S2 code of their own: unknown route 404 {@code not_found}, wrong
 *       method 405 {@code bad_path} (with {@code Allow}), body too large 413 {@code invalid},
 *       timeout 408 {@code request_timeout};
 *   <li>anything else: 500 {@code other}, logged.
 * </ul>
 *
 * Error bodies are always JSON, whatever the request negotiated.
 */
final class ErrorMapper {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  /** Any failure of a request, unwrapped from completion wrappers. */
  static HttpResponse failure(Throwable t, String requestDescription) {
    Throwable cause = unwrap(t);
    if (cause instanceof java.util.concurrent.TimeoutException) {
      log.warn("Request {} produced no response in time", requestDescription);
      return requestTimeout();
    }
    if (cause instanceof RequestBodyTooLargeException tooLarge) {
      return error(413, ErrorCode.INVALID.code(), tooLarge.getMessage());
    }
    if (cause instanceof BodyBudget.OverBudgetException over) {
      return Responses.withHeader(
          error(ErrorCode.UNAVAILABLE, over.getMessage()),
          "retry-after-ms",
          Long.toString(over.retryAfterMillis()));
    }
    if (cause instanceof S2Exception s) {
      if (HttpStatuses.of(s.code()) >= 500) {
        log.warn(
            "Request {} failed with {}: {}",
            requestDescription,
            s.code().code(),
            s.getMessage(),
            s);
      }
      HttpResponse r = error(s.code(), s.getMessage());
      // RFC 9110: a 401 names the authentication scheme it wants.
      return s.code() == ErrorCode.AUTHN
          ? Responses.withHeader(r, "WWW-Authenticate", "Bearer")
          : r;
    }
    if (cause instanceof StreamTcpException
        || cause instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
      return error(ErrorCode.BAD_JSON, "request body could not be read: " + cause.getMessage());
    }
    log.error("Request {} failed unexpectedly", requestDescription, cause);
    return error(ErrorCode.OTHER, "internal error");
  }

  static HttpResponse error(ErrorCode code, String message) {
    return error(HttpStatuses.of(code), code.code(), message);
  }

  /** 412 for an append whose condition failed; other outcomes are not errors. */
  static HttpResponse appendConditionFailed(AppendOutcome outcome) {
    if (outcome instanceof AppendOutcome.SeqNumMismatch m) {
      return Responses.json(412, JsonCodec.seqNumMismatch(m.expectedSeqNum()));
    }
    if (outcome instanceof AppendOutcome.FencingTokenMismatch m) {
      return Responses.json(412, JsonCodec.fencingTokenMismatch(m.currentToken()));
    }
    throw new IllegalArgumentException("not a rejected append outcome: " + outcome);
  }

  /** 416 with the stream's tail. */
  static HttpResponse rangeNotSatisfiable(StreamPosition tail) {
    return Responses.json(416, JsonCodec.tail(tail));
  }

  static HttpResponse notFound(String path) {
    return error(ErrorCode.NOT_FOUND, "no route for " + path);
  }

  static HttpResponse methodNotAllowed(String method, String path, List<String> allowed) {
    String allow = String.join(", ", allowed);
    HttpResponse r =
        error(
            405,
            ErrorCode.BAD_PATH.code(),
            "method " + method + " is not allowed on " + path + "; allowed: " + allow);
    return Responses.withHeader(r, "Allow", allow);
  }

  static HttpResponse notImplemented(String what) {
    return error(ErrorCode.NOT_IMPLEMENTED, what + " is not implemented by this server");
  }

  static HttpResponse requestTimeout() {
    return error(ErrorCode.REQUEST_TIMEOUT, "the server did not produce a response in time");
  }

  /**
   * A request Pekko could not parse: the status Pekko chose, with an S2 code after what was wrong.
   */
  static HttpResponse unparsableRequest(int status, String summary) {
    String s = summary == null ? "" : summary;
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    String code;
    if (status == 414
        || lower.contains("uri")
        || lower.contains("path")
        || lower.contains("query")) {
      code = ErrorCode.BAD_PATH.code();
    } else if (status == 413) {
      code = ErrorCode.INVALID.code();
    } else if (status == 501 || status == 505) {
      code = ErrorCode.NOT_IMPLEMENTED.code();
    } else if (status >= 500) {
      code = ErrorCode.OTHER.code();
    } else {
      code = ErrorCode.BAD_HEADER.code();
    }
    return error(status, code, "unparsable request: " + s);
  }

  /** 503 of {@code /health} before the node is ready. */
  static HttpResponse notReady() {
    return notReady(List.of());
  }

  /** 503 of {@code /health} while the node is not ready, with the reasons. */
  static HttpResponse notReady(List<String> reasons) {
    return error(
        ErrorCode.UNAVAILABLE,
        reasons.isEmpty() ? "not ready" : "not ready: " + String.join("; ", reasons));
  }

  private static HttpResponse error(int status, String code, String message) {
    return Responses.json(status, JsonCodec.error(code, ClientMessages.forStatus(status, message)));
  }
}
