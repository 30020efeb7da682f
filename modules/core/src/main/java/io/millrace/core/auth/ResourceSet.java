package io.millrace.core.auth;

import java.util.Objects;

/**
 * A set of basin, stream or access token names (spec section 4.3): {@code {"exact": name}} (the
 * empty name matches nothing) or {@code {"prefix": p}} (the empty prefix matches everything). A
 * scope without a set for a kind of resource (null) grants no resource of that kind.
 */
public record ResourceSet(Kind kind, String value) {

  /** Exact name or name prefix. */
  public enum Kind {
    EXACT,
    PREFIX
  }

  /** Every name. */
  public static final ResourceSet ALL = new ResourceSet(Kind.PREFIX, "");

  public ResourceSet {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
  }

  public static ResourceSet exact(String name) {
    return new ResourceSet(Kind.EXACT, name);
  }

  public static ResourceSet prefix(String prefix) {
    return new ResourceSet(Kind.PREFIX, prefix);
  }

  /** Whether {@code name} is in the set. */
  public boolean matches(String name) {
    if (name == null) {
      return false;
    }
    return kind == Kind.EXACT ? !value.isEmpty() && value.equals(name) : name.startsWith(value);
  }

  /** Whether this set matches no name at all ({@code {"exact": ""}}). */
  public boolean isEmpty() {
    return kind == Kind.EXACT && value.isEmpty();
  }

  /** Whether every name in {@code other} is in this set. A null {@code other} is the empty set. */
  public boolean covers(ResourceSet other) {
    if (other == null || other.isEmpty()) {
      return true;
    }
    if (other.kind == Kind.EXACT) {
      return matches(other.value);
    }
    return kind == Kind.PREFIX && other.value.startsWith(value);
  }

  /** Whether a (possibly null) set matches {@code name}. */
  public static boolean matches(ResourceSet set, String name) {
    return set != null && set.matches(name);
  }

  /** Whether a (possibly null) issuer set covers a (possibly null) child set. */
  public static boolean covers(ResourceSet issuer, ResourceSet child) {
    if (child == null || child.isEmpty()) {
      return true;
    }
    return issuer != null && issuer.covers(child);
  }
}
