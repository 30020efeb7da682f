package io.millrace.core.auth;

import io.millrace.core.S2Exception;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What an access token may do (spec section 4.3): the basins, streams and access tokens it may
 * name, and the operations it may perform, the union of {@code ops} and those of {@code op_groups}.
 * Null fields are absent (no resources of that kind, no operations from that field).
 */
public record AccessTokenScope(
    ResourceSet basins,
    ResourceSet streams,
    ResourceSet accessTokens,
    OpGroups opGroups,
    Set<Operation> ops) {

  /** Everything: the scope of the root token. */
  public static final AccessTokenScope ALL =
      new AccessTokenScope(
          ResourceSet.ALL, ResourceSet.ALL, ResourceSet.ALL, null, EnumSet.allOf(Operation.class));

  public AccessTokenScope {
    ops =
        ops == null
            ? null
            : Collections.unmodifiableSet(
                ops.isEmpty() ? EnumSet.noneOf(Operation.class) : EnumSet.copyOf(ops));
  }

  /** The operations allowed: {@code ops} and those of {@code op_groups}. */
  public Set<Operation> allowedOperations() {
    Set<Operation> out = EnumSet.noneOf(Operation.class);
    if (ops != null) {
      out.addAll(ops);
    }
    if (opGroups != null) {
      out.addAll(opGroups.operations());
    }
    return out;
  }

  /**
   * Checks the scope of a token being issued: it grants at least one operation, its names are not
   * longer than names can be, and {@code autoPrefixStreams} has a prefix stream set.
   *
   * @throws S2Exception 422 {@code invalid}
   */
  public void validate(boolean autoPrefixStreams) {
    if (allowedOperations().isEmpty()) {
      throw S2Exception.invalid(
          "the scope grants no operation: set ops or an op_groups read or write permission");
    }
    requireLength("basins", basins, 48);
    requireLength("streams", streams, 512);
    requireLength("access_tokens", accessTokens, AccessTokenIds.MAX_BYTES);
    if (autoPrefixStreams && (streams == null || streams.kind() != ResourceSet.Kind.PREFIX)) {
      throw S2Exception.invalid("auto_prefix_streams requires a prefix stream scope");
    }
  }

  private static void requireLength(String field, ResourceSet set, int max) {
    if (set != null && set.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > max) {
      throw S2Exception.invalid("scope." + field + " is longer than " + max + " bytes");
    }
  }
}
