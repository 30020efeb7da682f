package io.millrace.engine.control;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;

/**
 * Canonical forms of configs, so that a config compares equal to itself after a round trip through
 * the metadata store: an object whose every field is unset is the same as no object at all.
 */
final class Configs {
  private Configs() {}

  /** A basin config with an all-unset default stream config stored as none (shown as null). */
  static BasinConfig canonical(BasinConfig config) {
    BasinConfig c = config == null ? BasinConfig.DEFAULT : config;
    return new BasinConfig(
        canonicalPartial(c.defaultStreamConfig()),
        c.streamCipher(),
        c.createStreamOnAppend(),
        c.createStreamOnRead());
  }

  /** A partial stream config with empty nested objects removed; null if nothing is set. */
  static StreamConfig canonicalPartial(StreamConfig config) {
    if (config == null) {
      return null;
    }
    Timestamping t = config.timestamping();
    if (t != null && t.mode() == null && t.uncapped() == null) {
      t = null;
    }
    DeleteOnEmpty d = config.deleteOnEmpty();
    if (d != null && d.minAgeSecs() == null) {
      d = null;
    }
    if (config.storageClass() == null
        && config.retentionPolicy() == null
        && t == null
        && d == null) {
      return null;
    }
    return new StreamConfig(config.storageClass(), config.retentionPolicy(), t, d);
  }
}
