package io.millrace.core;

import java.util.Locale;

/**
 * The wire names of the API's enums: the constant's name in lower case with its words joined by
 * {@code -} ({@code CLIENT_PREFER} is {@code client-prefer}).
 */
public final class WireNames {
  private WireNames() {}

  /** The wire name of {@code constant}. */
  public static String of(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant among {@code values} whose wire name is {@code wire}, or null. */
  public static <E extends Enum<E>> E find(E[] values, String wire) {
    for (E e : values) {
      if (of(e).equals(wire)) {
        return e;
      }
    }
    return null;
  }
}
