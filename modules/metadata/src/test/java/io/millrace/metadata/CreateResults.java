package io.millrace.metadata;

import java.util.List;
import java.util.stream.Stream;

/** Test helpers that sort the results of concurrent creates into created and existing rows. */
public final class CreateResults {
  private CreateResults() {}

  /** The rows of the {@link CreateResult.Created} results, in order. */
  public static <T> List<T> created(List<CreateResult<T>> results) {
    return results.stream()
        .flatMap(r -> r instanceof CreateResult.Created<T> c ? Stream.of(c.row()) : Stream.empty())
        .toList();
  }

  /** The existing rows of the {@link CreateResult.AlreadyExists} results, in order. */
  public static <T> List<T> existing(List<CreateResult<T>> results) {
    return results.stream()
        .flatMap(
            r ->
                r instanceof CreateResult.AlreadyExists<T> e
                    ? Stream.of(e.existing())
                    : Stream.empty())
        .toList();
  }
}
