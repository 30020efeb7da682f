package io.millrace.core.config;

/** Storage class of a stream; selects the channel group its appends go through. */
public enum StorageClass {
  STANDARD("standard"),
  EXPRESS("express");

  private final String wire;

  StorageClass(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static StorageClass fromWire(String s) {
    for (StorageClass c : values()) {
      if (c.wire.equals(s)) {
        return c;
      }
    }
    return null;
  }
}
