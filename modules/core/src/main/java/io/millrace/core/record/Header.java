package io.millrace.core.record;

import java.util.Arrays;

/** One record header: name and value are raw bytes. */
public record Header(byte[] name, byte[] value) {
  public Header {
    if (name == null || value == null) {
      throw new NullPointerException("header name and value must not be null");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header h && Arrays.equals(name, h.name) && Arrays.equals(value, h.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(name) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "Header[" + new String(name) + "=" + new String(value) + "]";
  }
}
