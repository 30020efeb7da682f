package io.millrace.core.config;

/** Timestamping settings; either field may be null (unset) in a stored or partial config. */
public record Timestamping(TimestampingMode mode, Boolean uncapped) {}
