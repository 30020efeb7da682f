package io.millrace.core.config;

import io.millrace.core.WireNames;

/** Storage class of a stream; selects the channel group its appends go through. */
public enum StorageClass {
  STANDARD,
  EXPRESS;

  private final String wire = WireNames.of(this);

  /** {@code standard} or {@code express}. */
  public String wire() {
    return wire;
  }

  public static StorageClass fromWire(String s) {
    return WireNames.find(values(), s);
  }
}
