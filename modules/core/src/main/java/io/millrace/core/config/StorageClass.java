package io.millrace.core.config;

import io.millrace.core.WireNamed;

/** Storage class of a stream; selects the channel group its appends go through. */
public enum StorageClass implements WireNamed {
  STANDARD,
  EXPRESS;

  public static StorageClass fromWire(String s) {
    return WireNamed.fromWire(values(), s);
  }
}
