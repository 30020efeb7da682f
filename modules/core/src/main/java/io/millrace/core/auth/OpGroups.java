package io.millrace.core.auth;

import java.util.EnumSet;
import java.util.Set;

/**
 * The {@code op_groups} of a scope: read and write permissions per operation group. A null group
 * grants nothing.
 */
public record OpGroups(ReadWrite account, ReadWrite basin, ReadWrite stream) {

  /** {@code {"read": bool, "write": bool}}; absent means false. */
  public record ReadWrite(boolean read, boolean write) {
    public boolean allows(Operation.Access access) {
      return access == Operation.Access.READ ? read : write;
    }
  }

  /** The operations these groups grant. */
  public Set<Operation> operations() {
    Set<Operation> out = EnumSet.noneOf(Operation.class);
    for (Operation op : Operation.values()) {
      ReadWrite rw =
          switch (op.group()) {
            case ACCOUNT -> account;
            case BASIN -> basin;
            case STREAM -> stream;
          };
      if (rw != null && rw.allows(op.access())) {
        out.add(op);
      }
    }
    return out;
  }
}
