package io.millrace.core.config;

/** Retention: records older than {@code ageSecs} go away, or {@code infinite} keeps them. */
public record RetentionPolicy(Long ageSecs) {
  public static final RetentionPolicy INFINITE = new RetentionPolicy(null);

  public static RetentionPolicy age(long secs) {
    return new RetentionPolicy(secs);
  }

  public boolean isInfinite() {
    return ageSecs == null;
  }
}
