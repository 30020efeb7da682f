package io.millrace.core.api;

/**
 * A list call's filters: names starting with {@code prefix}, strictly after {@code startAfter}, at
 * most {@code limit} (1..1000) entries, in name order.
 */
public record ListRequest(String prefix, String startAfter, int limit) {
  public ListRequest {
    prefix = prefix == null ? "" : prefix;
    startAfter = startAfter == null ? "" : startAfter;
  }
}
