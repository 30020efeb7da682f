package io.millrace.core.config;

/** A PATCH of a stream config (spec section 3.3); nested objects patch field by field. */
public record StreamReconfiguration(
    Patch<StorageClass> storageClass,
    Patch<RetentionPolicy> retentionPolicy,
    Patch<TimestampingReconfiguration> timestamping,
    Patch<DeleteOnEmptyReconfiguration> deleteOnEmpty) {

  public static final StreamReconfiguration NONE =
      new StreamReconfiguration(Patch.keep(), Patch.keep(), Patch.keep(), Patch.keep());

  /** Patch of the timestamping object. */
  public record TimestampingReconfiguration(
      Patch<TimestampingMode> mode, Patch<Boolean> uncapped) {}

  /** Patch of the delete-on-empty object. */
  public record DeleteOnEmptyReconfiguration(Patch<Long> minAgeSecs) {}

  /**
   * Applies this patch to a (possibly partial) config; reset fields become null (unset), to be
   * filled again by {@link StreamConfig#resolve}.
   */
  public StreamConfig applyTo(StreamConfig current) {
    StreamConfig c = current == null ? StreamConfig.EMPTY : current;
    Timestamping ts =
        Patch.applyNested(
            timestamping,
            c.timestamping(),
            (p, cur) -> {
              Timestamping base = cur == null ? new Timestamping(null, null) : cur;
              return new Timestamping(
                  p.mode().apply(base.mode()), p.uncapped().apply(base.uncapped()));
            });
    DeleteOnEmpty doe =
        Patch.applyNested(
            deleteOnEmpty,
            c.deleteOnEmpty(),
            (p, cur) ->
                new DeleteOnEmpty(p.minAgeSecs().apply(cur == null ? null : cur.minAgeSecs())));
    return new StreamConfig(
        storageClass.apply(c.storageClass()), retentionPolicy.apply(c.retentionPolicy()), ts, doe);
  }
}
