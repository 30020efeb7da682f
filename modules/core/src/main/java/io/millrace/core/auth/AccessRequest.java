package io.millrace.core.auth;

import java.util.Objects;

/**
 * What a request does, for a scope check: the operation and the resources it names (null when it
 * names none of that kind). {@code stream} is the stored name (after any auto prefix).
 */
public record AccessRequest(Operation operation, String basin, String stream, String accessToken) {
  public AccessRequest {
    Objects.requireNonNull(operation, "operation");
  }

  public static AccessRequest of(Operation op) {
    return new AccessRequest(op, null, null, null);
  }
}
