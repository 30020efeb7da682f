package io.millrace.core.record;

import java.util.List;

/** Metered record sizes (spec section 1.3), used for batch limits and read byte limits. */
public final class Metering {
  private Metering() {}

  /** {@code 8 + 2 * headers + sum(len(name) + len(value)) + len(body)}. */
  public static long meteredSize(List<Header> headers, int bodyLength) {
    long size = 8L + 2L * headers.size() + bodyLength;
    for (Header h : headers) {
      size += h.name().length + h.value().length;
    }
    return size;
  }
}
