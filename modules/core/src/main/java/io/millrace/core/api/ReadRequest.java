package io.millrace.core.api;

/**
 * A unary read (spec section 6.2). {@code count}, {@code bytes}, {@code until} and {@code waitSecs}
 * are null when not given. The edge caps count/bytes to the unary limits and wait to 60 s before it
 * gets here.
 */
public record ReadRequest(
    ReadStart start, boolean clamp, Long count, Long bytes, Long until, Integer waitSecs) {}
