package io.millrace.engine.wal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load of one channel incarnation, shared on its node: bytes pending (open chunk plus chunk
 * writes in flight), streams assigned, and whether it died. Stream entities read it to refuse
 * appends early when the channel is full; the supervisor reads it for power-of-two-choices.
 */
public final class ChannelLoad {
  private final AtomicLong pendingBytes = new AtomicLong();
  private final AtomicInteger streams = new AtomicInteger();
  private final AtomicBoolean dead = new AtomicBoolean();

  public long pendingBytes() {
    return pendingBytes.get();
  }

  public int streams() {
    return streams.get();
  }

  public boolean isDead() {
    return dead.get();
  }

  void addPending(long bytes) {
    pendingBytes.addAndGet(bytes);
  }

  public void streamAssigned() {
    streams.incrementAndGet();
  }

  /** A stream entity that was assigned this channel stopped using it. */
  public void streamReleased() {
    streams.decrementAndGet();
  }

  void markDead() {
    dead.set(true);
  }

  /** A comparable load figure: pending bytes plus a weight per assigned stream. */
  long score() {
    return pendingBytes.get() + 64L * 1024 * streams.get();
  }
}
