package io.millrace.core;

import java.util.Locale;

/**
 * An enum of the API named on the wire by its constants' names in lower case with their words
 * joined by {@code -} ({@code CLIENT_PREFER} is {@code client-prefer}).
 */
public interface WireNamed {
  /** The constant's name (implemented by every enum). */
  String name();

  /** The name on the wire. */
  default String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant among {@code values} whose wire name is {@code wire}, or null. */
  static <E extends Enum<E> & WireNamed> E fromWire(E[] values, String wire) {
    for (E e : values) {
      if (e.wire().equals(wire)) {
        return e;
      }
    }
    return null;
  }
}
