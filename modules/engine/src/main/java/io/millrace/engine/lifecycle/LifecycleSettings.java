package io.millrace.engine.lifecycle;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * Settings of the lifecycle sweeps, read once from {@code millrace.engine.lifecycle} (documented in
 * the engine's {@code reference.conf} and docs/configuration.md).
 */
public record LifecycleSettings(
    boolean enabled, Duration sweepInterval, int maxDeletionsPerSweep, int walDeleteConcurrency) {

  public LifecycleSettings {
    if (sweepInterval.isNegative() || sweepInterval.isZero()) {
      throw new IllegalArgumentException("millrace.engine.lifecycle.sweep-interval must be > 0");
    }
    if (maxDeletionsPerSweep <= 0) {
      throw new IllegalArgumentException(
          "millrace.engine.lifecycle.max-deletions-per-sweep must be > 0");
    }
    if (walDeleteConcurrency <= 0) {
      throw new IllegalArgumentException(
          "millrace.engine.lifecycle.wal-delete-concurrency must be > 0");
    }
  }

  /** Settings with the default WAL delete concurrency. */
  public LifecycleSettings(boolean enabled, Duration sweepInterval, int maxDeletionsPerSweep) {
    this(enabled, sweepInterval, maxDeletionsPerSweep, 8);
  }

  /** Reads {@code millrace.engine.lifecycle} from a root config (with reference.conf defaults). */
  public static LifecycleSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.engine.lifecycle");
    return new LifecycleSettings(
        c.getBoolean("enabled"),
        c.getDuration("sweep-interval"),
        c.getInt("max-deletions-per-sweep"),
        c.getInt("wal-delete-concurrency"));
  }

  /** The defaults of reference.conf. */
  public static LifecycleSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference());
  }
}
