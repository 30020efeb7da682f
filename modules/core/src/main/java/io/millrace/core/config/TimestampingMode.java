package io.millrace.core.config;

/** How record timestamps are chosen (spec section 3.1). */
public enum TimestampingMode {
  CLIENT_PREFER("client-prefer"),
  CLIENT_REQUIRE("client-require"),
  ARRIVAL("arrival");

  private final String wire;

  TimestampingMode(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static TimestampingMode fromWire(String s) {
    for (TimestampingMode m : values()) {
      if (m.wire.equals(s)) {
        return m;
      }
    }
    return null;
  }
}
