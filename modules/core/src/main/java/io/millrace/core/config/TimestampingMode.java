package io.millrace.core.config;

import io.millrace.core.WireNames;

/** How record timestamps are chosen (spec section 3.1). */
public enum TimestampingMode {
  CLIENT_PREFER,
  CLIENT_REQUIRE,
  ARRIVAL;

  private final String wire = WireNames.of(this);

  /** {@code client-prefer}, {@code client-require} or {@code arrival}. */
  public String wire() {
    return wire;
  }

  public static TimestampingMode fromWire(String s) {
    return WireNames.find(values(), s);
  }
}
