package io.millrace.core.config;

/** Delete-on-empty: {@code minAgeSecs} 0 = off; null = unset. */
public record DeleteOnEmpty(Long minAgeSecs) {}
