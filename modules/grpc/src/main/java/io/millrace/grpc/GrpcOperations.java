package io.millrace.grpc;

import io.millrace.core.auth.Operation;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one table from a gRPC method to the S2 operations (spec section 4.3) a token must allow to
 * call it: the same operations as the REST endpoint that does the same thing (http's {@code
 * EndpointOperations}). Appends (unary and every append session message) carrying fence or trim
 * command records also need {@code fence} / {@code trim}, checked on the decoded batch ({@link
 * io.millrace.core.auth.Principal#checkCommands}).
 */
final class GrpcOperations {
  private GrpcOperations() {}

  /** The rpcs of {@code s2.v1alpha}. */
  enum Method {
    LIST_BASINS,
    CREATE_BASIN,
    DELETE_BASIN,
    RECONFIGURE_BASIN,
    GET_BASIN_CONFIG,
    ISSUE_ACCESS_TOKEN,
    REVOKE_ACCESS_TOKEN,
    LIST_ACCESS_TOKENS,
    LIST_STREAMS,
    CREATE_STREAM,
    DELETE_STREAM,
    GET_STREAM_CONFIG,
    RECONFIGURE_STREAM,
    CHECK_TAIL,
    APPEND,
    APPEND_SESSION,
    READ,
    READ_SESSION
  }

  static Set<Operation> of(Method method) {
    return switch (method) {
      case LIST_BASINS -> EnumSet.of(Operation.LIST_BASINS);
      case CREATE_BASIN -> EnumSet.of(Operation.CREATE_BASIN);
      case DELETE_BASIN -> EnumSet.of(Operation.DELETE_BASIN);
      case RECONFIGURE_BASIN -> EnumSet.of(Operation.RECONFIGURE_BASIN);
      case GET_BASIN_CONFIG -> EnumSet.of(Operation.GET_BASIN_CONFIG);
      case ISSUE_ACCESS_TOKEN -> EnumSet.of(Operation.ISSUE_ACCESS_TOKEN);
      case REVOKE_ACCESS_TOKEN -> EnumSet.of(Operation.REVOKE_ACCESS_TOKEN);
      case LIST_ACCESS_TOKENS -> EnumSet.of(Operation.LIST_ACCESS_TOKENS);
      case LIST_STREAMS -> EnumSet.of(Operation.LIST_STREAMS);
      case CREATE_STREAM -> EnumSet.of(Operation.CREATE_STREAM);
      case DELETE_STREAM -> EnumSet.of(Operation.DELETE_STREAM);
      case GET_STREAM_CONFIG -> EnumSet.of(Operation.GET_STREAM_CONFIG);
      case RECONFIGURE_STREAM -> EnumSet.of(Operation.RECONFIGURE_STREAM);
      case CHECK_TAIL -> EnumSet.of(Operation.CHECK_TAIL);
      case APPEND, APPEND_SESSION -> EnumSet.of(Operation.APPEND);
      case READ, READ_SESSION -> EnumSet.of(Operation.READ);
    };
  }
}
