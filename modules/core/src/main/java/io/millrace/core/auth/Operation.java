package io.millrace.core.auth;

import java.util.Locale;

/**
 * The S2 operations an access token can be allowed (spec section 4.3), with the operation group
 * ({@code account}, {@code basin}, {@code stream}) and the access ({@code read}, {@code write})
 * through which {@code op_groups} grant them. The wire name is the kebab-case constant name.
 */
public enum Operation {
  LIST_BASINS(Group.ACCOUNT, Access.READ),
  CREATE_BASIN(Group.ACCOUNT, Access.WRITE),
  DELETE_BASIN(Group.ACCOUNT, Access.WRITE),
  RECONFIGURE_BASIN(Group.ACCOUNT, Access.WRITE),
  GET_BASIN_CONFIG(Group.ACCOUNT, Access.READ),
  ISSUE_ACCESS_TOKEN(Group.ACCOUNT, Access.WRITE),
  REVOKE_ACCESS_TOKEN(Group.ACCOUNT, Access.WRITE),
  LIST_ACCESS_TOKENS(Group.ACCOUNT, Access.READ),
  LIST_STREAMS(Group.BASIN, Access.READ),
  CREATE_STREAM(Group.BASIN, Access.WRITE),
  DELETE_STREAM(Group.BASIN, Access.WRITE),
  GET_STREAM_CONFIG(Group.BASIN, Access.READ),
  RECONFIGURE_STREAM(Group.BASIN, Access.WRITE),
  CHECK_TAIL(Group.STREAM, Access.READ),
  APPEND(Group.STREAM, Access.WRITE),
  READ(Group.STREAM, Access.READ),
  TRIM(Group.STREAM, Access.WRITE),
  FENCE(Group.STREAM, Access.WRITE),
  ACCOUNT_METRICS(Group.ACCOUNT, Access.READ),
  BASIN_METRICS(Group.BASIN, Access.READ),
  STREAM_METRICS(Group.STREAM, Access.READ),
  LIST_LOCATIONS(Group.ACCOUNT, Access.READ),
  GET_DEFAULT_LOCATION(Group.ACCOUNT, Access.READ),
  SET_DEFAULT_LOCATION(Group.ACCOUNT, Access.WRITE);

  /** The operation groups of {@code op_groups}. */
  public enum Group {
    ACCOUNT,
    BASIN,
    STREAM
  }

  /** Read or write, within a group. */
  public enum Access {
    READ,
    WRITE
  }

  private final Group group;
  private final Access access;

  Operation(Group group, Access access) {
    this.group = group;
    this.access = access;
  }

  public Group group() {
    return group;
  }

  public Access access() {
    return access;
  }

  /** The kebab-case wire name, e.g. {@code list-basins}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The operation with this wire name, or null. */
  public static Operation fromWire(String wire) {
    for (Operation op : values()) {
      if (op.wire().equals(wire)) {
        return op;
      }
    }
    return null;
  }
}
