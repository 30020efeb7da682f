package io.millrace.core.auth;

import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Lists narrowed to a token's resource set: a list of basins or streams shows only the names the
 * token may use (prefix sets narrow the prefix, an exact set shows at most that one name), rather
 * than being refused.
 */
public final class ScopedLists {
  private ScopedLists() {}

  public static <T> CompletionStage<ListPage<T>> list(
      ResourceSet set,
      ListRequest request,
      Function<ListRequest, CompletionStage<ListPage<T>>> list,
      Function<T, String> name) {
    Principal.ListScope scope = Principal.listScope(set, request);
    if (scope.nothing()) {
      return CompletableFuture.completedFuture(new ListPage<>(List.of(), false));
    }
    return list.apply(scope.request())
        .thenApply(
            page -> {
              if (!scope.exactOnly()) {
                return page;
              }
              String only = scope.request().prefix();
              return new ListPage<>(
                  page.items().stream().filter(i -> name.apply(i).equals(only)).toList(), false);
            });
  }
}
