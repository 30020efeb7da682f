package io.millrace.engine.metering;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the metering tests set by hand, in Unix seconds. */
final class MutableClock extends Clock {
  private final AtomicLong millis = new AtomicLong();

  MutableClock(long epochSecond) {
    set(epochSecond);
  }

  void set(long epochSecond) {
    millis.set(epochSecond * 1000);
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
