package io.millrace.core.config;

import io.millrace.core.S2Exception;

/**
 * A stream config. Any field may be null (unset) in a partial config, such as a basin's default
 * stream config; {@link #resolve} fills every field from basin defaults, then system defaults.
 */
public record StreamConfig(
    StorageClass storageClass,
    RetentionPolicy retentionPolicy,
    Timestamping timestamping,
    DeleteOnEmpty deleteOnEmpty) {

  public static final StreamConfig EMPTY = new StreamConfig(null, null, null, null);

  /** The system defaults, fully resolved. */
  public static final StreamConfig SYSTEM_DEFAULT =
      new StreamConfig(
          StorageClass.EXPRESS,
          RetentionPolicy.age(604800),
          new Timestamping(TimestampingMode.CLIENT_PREFER, false),
          new DeleteOnEmpty(0L));

  /** This config with unset fields filled from {@code defaults} (may be null), then system. */
  public StreamConfig resolve(StreamConfig defaults) {
    StreamConfig d = defaults == null ? EMPTY : defaults;
    StreamConfig s = SYSTEM_DEFAULT;
    Timestamping t = timestamping == null ? new Timestamping(null, null) : timestamping;
    Timestamping dt = d.timestamping == null ? new Timestamping(null, null) : d.timestamping;
    DeleteOnEmpty e = deleteOnEmpty == null ? new DeleteOnEmpty(null) : deleteOnEmpty;
    DeleteOnEmpty de = d.deleteOnEmpty == null ? new DeleteOnEmpty(null) : d.deleteOnEmpty;
    return new StreamConfig(
        first(storageClass, d.storageClass, s.storageClass),
        first(retentionPolicy, d.retentionPolicy, s.retentionPolicy),
        new Timestamping(
            first(t.mode(), dt.mode(), s.timestamping.mode()),
            first(t.uncapped(), dt.uncapped(), s.timestamping.uncapped())),
        new DeleteOnEmpty(first(e.minAgeSecs(), de.minAgeSecs(), s.deleteOnEmpty.minAgeSecs())));
  }

  /** Throws 422 invalid if a set value is out of range. */
  public StreamConfig validate() {
    if (retentionPolicy != null
        && retentionPolicy.ageSecs() != null
        && retentionPolicy.ageSecs() <= 0) {
      throw S2Exception.invalid("retention_policy.age must be greater than 0 seconds");
    }
    if (deleteOnEmpty != null
        && deleteOnEmpty.minAgeSecs() != null
        && deleteOnEmpty.minAgeSecs() < 0) {
      throw S2Exception.invalid("delete_on_empty.min_age_secs must not be negative");
    }
    return this;
  }

  @SafeVarargs
  private static <T> T first(T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
