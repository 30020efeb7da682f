package io.millrace.http;

import io.millrace.core.auth.Operation;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one table from a REST endpoint to the S2 operations (spec section 4.3) a token must allow to
 * call it. An ensure (PUT) may create or reconfigure, so it needs both. Appends carrying fence or
 * trim command records also need {@code fence} / {@code trim} (checked on the decoded batch, {@link
 * io.millrace.core.auth.Principal#checkCommands}). {@code HEALTH} needs no token.
 */
final class EndpointOperations {
  private EndpointOperations() {}

  static Set<Operation> of(S2Router.Endpoint endpoint) {
    return switch (endpoint) {
      case HEALTH -> EnumSet.noneOf(Operation.class);
      case LIST_BASINS -> EnumSet.of(Operation.LIST_BASINS);
      case CREATE_BASIN -> EnumSet.of(Operation.CREATE_BASIN);
      case GET_BASIN_CONFIG -> EnumSet.of(Operation.GET_BASIN_CONFIG);
      case ENSURE_BASIN -> EnumSet.of(Operation.CREATE_BASIN, Operation.RECONFIGURE_BASIN);
      case RECONFIGURE_BASIN -> EnumSet.of(Operation.RECONFIGURE_BASIN);
      case DELETE_BASIN -> EnumSet.of(Operation.DELETE_BASIN);
      case LIST_STREAMS -> EnumSet.of(Operation.LIST_STREAMS);
      case CREATE_STREAM -> EnumSet.of(Operation.CREATE_STREAM);
      case GET_STREAM_CONFIG -> EnumSet.of(Operation.GET_STREAM_CONFIG);
      case ENSURE_STREAM -> EnumSet.of(Operation.CREATE_STREAM, Operation.RECONFIGURE_STREAM);
      case RECONFIGURE_STREAM -> EnumSet.of(Operation.RECONFIGURE_STREAM);
      case DELETE_STREAM -> EnumSet.of(Operation.DELETE_STREAM);
      case APPEND -> EnumSet.of(Operation.APPEND);
      case READ -> EnumSet.of(Operation.READ);
      case CHECK_TAIL -> EnumSet.of(Operation.CHECK_TAIL);
      case LIST_ACCESS_TOKENS -> EnumSet.of(Operation.LIST_ACCESS_TOKENS);
      case ISSUE_ACCESS_TOKEN -> EnumSet.of(Operation.ISSUE_ACCESS_TOKEN);
      case REVOKE_ACCESS_TOKEN -> EnumSet.of(Operation.REVOKE_ACCESS_TOKEN);
      case LIST_LOCATIONS -> EnumSet.of(Operation.LIST_LOCATIONS);
      case GET_DEFAULT_LOCATION -> EnumSet.of(Operation.GET_DEFAULT_LOCATION);
      case SET_DEFAULT_LOCATION -> EnumSet.of(Operation.SET_DEFAULT_LOCATION);
    };
  }

  /** What the path (or {@code s2-basin} header) of an endpoint names. */
  enum Names {
    NONE,
    /** The path names a basin. */
    BASIN_PATH,
    /** The {@code s2-basin} header names a basin (list or create stream). */
    BASIN_HEADER,
    /** The header names a basin, the path a stream. */
    STREAM_PATH,
    /** The path names an access token. */
    TOKEN_PATH
  }

  static Names names(S2Router.Endpoint endpoint) {
    return switch (endpoint) {
      case HEALTH,
              LIST_BASINS,
              CREATE_BASIN,
              LIST_ACCESS_TOKENS,
              ISSUE_ACCESS_TOKEN,
              LIST_LOCATIONS,
              GET_DEFAULT_LOCATION,
              SET_DEFAULT_LOCATION ->
          Names.NONE;
      case GET_BASIN_CONFIG, ENSURE_BASIN, RECONFIGURE_BASIN, DELETE_BASIN -> Names.BASIN_PATH;
      case LIST_STREAMS, CREATE_STREAM -> Names.BASIN_HEADER;
      case GET_STREAM_CONFIG,
              ENSURE_STREAM,
              RECONFIGURE_STREAM,
              DELETE_STREAM,
              APPEND,
              READ,
              CHECK_TAIL ->
          Names.STREAM_PATH;
      case REVOKE_ACCESS_TOKEN -> Names.TOKEN_PATH;
    };
  }
}
