package io.millrace.core.record;

import java.util.Arrays;
import java.util.List;

/** A record with its assigned seq num and timestamp, as stored and as read back. */
public record SequencedRecord(long seqNum, long timestamp, List<Header> headers, byte[] body) {
  public SequencedRecord {
    headers = List.copyOf(headers);
    if (body == null) {
      throw new NullPointerException("body must not be null");
    }
  }

  /** Metered size, spec section 1.3. */
  public long meteredSize() {
    return Metering.meteredSize(headers, body.length);
  }

  public StreamPosition position() {
    return new StreamPosition(seqNum, timestamp);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SequencedRecord r
        && seqNum == r.seqNum
        && timestamp == r.timestamp
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(seqNum, timestamp, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "SequencedRecord[seq="
        + seqNum
        + ", ts="
        + timestamp
        + ", headers="
        + headers
        + ", body="
        + body.length
        + "B]";
  }
}
