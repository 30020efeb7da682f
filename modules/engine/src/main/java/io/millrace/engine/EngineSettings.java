package io.millrace.engine;

import com.typesafe.config.Config;
import io.millrace.core.config.StorageClass;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Settings of the engine data plane, read once from {@code millrace.engine.*} (documented in the
 * engine's {@code reference.conf}).
 */
public record EngineSettings(
    Map<StorageClass, Integer> channelsPerStorageClass,
    long chunkMaxBytes,
    Duration flushInterval,
    int maxChunkWritesInFlight,
    long maxPendingBytes,
    int writeRetries,
    Duration writeRetryBackoff,
    long segmentFlushBytes,
    Duration segmentFlushAge,
    long streamletRotationBytes,
    int segmentCacheMaxSegments,
    Duration passivationIdleTime,
    Duration askTimeout) {

  public EngineSettings {
    channelsPerStorageClass = Map.copyOf(channelsPerStorageClass);
  }

  /** Reads {@code millrace.engine} from a root config (with reference.conf defaults). */
  public static EngineSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.engine");
    Map<StorageClass, Integer> per = new EnumMap<>(StorageClass.class);
    for (StorageClass sc : StorageClass.values()) {
      per.put(sc, c.getInt("channels.per-storage-class." + sc.wire()));
    }
    return new EngineSettings(
        per,
        c.getBytes("channels.chunk-max-bytes"),
        c.getDuration("channels.flush-interval"),
        c.getInt("channels.max-chunk-writes-in-flight"),
        c.getBytes("channels.max-pending-bytes"),
        c.getInt("channels.write-retries"),
        c.getDuration("channels.write-retry-backoff"),
        c.getBytes("segments.flush-bytes"),
        c.getDuration("segments.flush-age"),
        c.getBytes("segments.streamlet-rotation-bytes"),
        c.getInt("segments.cache-max-segments"),
        c.getDuration("passivation-idle-time"),
        c.getDuration("ask-timeout"));
  }

  /** The defaults of reference.conf. */
  public static EngineSettings defaults() {
    return fromConfig(com.typesafe.config.ConfigFactory.defaultReference());
  }

  public int channelsFor(StorageClass sc) {
    return Math.max(1, channelsPerStorageClass.getOrDefault(sc, 1));
  }
}
