package io.millrace.core.record;

import java.util.Arrays;
import java.util.List;

/** A record to append; {@code timestamp} is null when the client gave none. */
public record AppendRecord(Long timestamp, List<Header> headers, byte[] body) {
  public AppendRecord {
    headers = List.copyOf(headers);
    if (body == null) {
      throw new NullPointerException("body must not be null");
    }
  }

  public static AppendRecord of(byte[] body) {
    return new AppendRecord(null, List.of(), body);
  }

  /** Metered size, spec section 1.3. */
  public long meteredSize() {
    return Metering.meteredSize(headers, body.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AppendRecord r
        && java.util.Objects.equals(timestamp, r.timestamp)
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(timestamp, headers, Arrays.hashCode(body));
  }
}
