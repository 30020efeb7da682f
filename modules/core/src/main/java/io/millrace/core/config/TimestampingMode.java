package io.millrace.core.config;

import io.millrace.core.WireNamed;

/** How record timestamps are chosen (spec section 3.1). */
public enum TimestampingMode implements WireNamed {
  CLIENT_PREFER,
  CLIENT_REQUIRE,
  ARRIVAL;

  public static TimestampingMode fromWire(String s) {
    return WireNamed.fromWire(values(), s);
  }
}
