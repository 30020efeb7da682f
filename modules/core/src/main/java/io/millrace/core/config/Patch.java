package io.millrace.core.config;

/**
 * One field of a reconfiguration (spec section 3.3): absent (keep), null (reset to unset), or a
 * value (set).
 */
public sealed interface Patch<T> {
  @SuppressWarnings("rawtypes")
  Keep KEEP = new Keep();

  @SuppressWarnings("rawtypes")
  Reset RESET = new Reset();

  @SuppressWarnings("unchecked")
  static <T> Patch<T> keep() {
    return KEEP;
  }

  @SuppressWarnings("unchecked")
  static <T> Patch<T> reset() {
    return RESET;
  }

  static <T> Patch<T> set(T value) {
    return new Set<>(value);
  }

  /** Applies this patch to a current value (null = unset). */
  default T apply(T current) {
    if (this instanceof Set<T> s) {
      return s.value();
    }
    if (this instanceof Reset) {
      return null;
    }
    return current;
  }

  /** Applies a nested patch: {@code nested} maps the current value to the patched one. */
  static <T, P> T applyNested(
      Patch<P> patch, T current, java.util.function.BiFunction<P, T, T> nested) {
    if (patch instanceof Set<P> s) {
      return nested.apply(s.value(), current);
    }
    if (patch instanceof Reset) {
      return null;
    }
    return current;
  }

  record Keep<T>() implements Patch<T> {}

  record Reset<T>() implements Patch<T> {}

  record Set<T>(T value) implements Patch<T> {}
}
