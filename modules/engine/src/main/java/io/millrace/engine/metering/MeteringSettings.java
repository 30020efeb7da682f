package io.millrace.engine.metering;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code millrace.metering.*} (engine reference.conf, docs/configuration.md): how often a node
 * writes its metering counters and how often the storage sweep samples stored bytes.
 */
public record MeteringSettings(Duration flushInterval, Duration storageSampleInterval) {

  public MeteringSettings {
    if (flushInterval.isNegative() || flushInterval.isZero()) {
      throw new IllegalArgumentException("millrace.metering.flush-interval must be positive");
    }
    if (storageSampleInterval.isNegative() || storageSampleInterval.isZero()) {
      throw new IllegalArgumentException(
          "millrace.metering.storage-sample-interval must be positive");
    }
  }

  public static MeteringSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.metering");
    return new MeteringSettings(
        c.getDuration("flush-interval"), c.getDuration("storage-sample-interval"));
  }
}
