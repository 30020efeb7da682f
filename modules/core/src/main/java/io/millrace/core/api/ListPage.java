package io.millrace.core.api;

import java.util.List;

/** One page of a list call; {@code hasMore} when entries past the page match the filters. */
public record ListPage<T>(List<T> items, boolean hasMore) {
  public ListPage {
    items = List.copyOf(items);
  }
}
