package io.millrace.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;
import org.apache.pekko.grpc.javadsl.StreamResponseRequestBuilder;

/** Request metadata, timeouts and the retry loop shared by every call of a client. */
final class Calls {
  static final String BASIN_HEADER = "s2-basin";
  static final String REQUEST_TOKEN_HEADER = "s2-request-token";

  final ClientConfig config;

  Calls(ClientConfig config) {
    this.config = config;
  }

  <Q, R> SingleResponseRequestBuilder<Q, R> auth(SingleResponseRequestBuilder<Q, R> b) {
    return config.accessToken() == null
        ? b
        : b.addHeader("authorization", "Bearer " + config.accessToken());
  }

  <Q, R> StreamResponseRequestBuilder<Q, R> auth(StreamResponseRequestBuilder<Q, R> b) {
    return config.accessToken() == null
        ? b
        : b.addHeader("authorization", "Bearer " + config.accessToken());
  }

  /**
   * Runs {@code call} until it succeeds, fails with a non-retryable error, {@code mayRetry} is
   * false, or the retry policy's attempts are used up; each try is bounded by the request timeout.
   * Fails with an {@link S2Error}.
   */
  <T> CompletionStage<T> unary(boolean mayRetry, Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(1, mayRetry, call, result);
    return result;
  }

  private <T> void attempt(
      int attempt, boolean mayRetry, Supplier<CompletionStage<T>> call, CompletableFuture<T> out) {
    CompletableFuture<T> one = new CompletableFuture<>();
    try {
      call.get()
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  one.completeExceptionally(e);
                } else {
                  one.complete(v);
                }
              });
    } catch (RuntimeException e) {
      one.completeExceptionally(e);
    }
    one.orTimeout(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete(
            (v, e) -> {
              if (e == null) {
                out.complete(v);
                return;
              }
              S2Error err = S2Error.from(e);
              if (mayRetry && err.retryable() && attempt < config.retry().maxAttempts()) {
                Duration d = config.retry().delay(attempt);
                CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS)
                    .execute(() -> attempt(attempt + 1, mayRetry, call, out));
              } else {
                out.completeExceptionally(err);
              }
            });
  }

  /**
   * Every item of a paged listing: asks {@code pageAfter} for the page after "" and then after the
   * last {@code key} of each page, while the page {@code hasMore} items and is not empty.
   */
  static <P, T> CompletionStage<List<T>> allPages(
      Function<String, CompletionStage<P>> pageAfter,
      Function<P, List<T>> items,
      Predicate<P> hasMore,
      Function<T, String> key) {
    return nextPages(pageAfter, items, hasMore, key, "", new ArrayList<>());
  }

  private static <P, T> CompletionStage<List<T>> nextPages(
      Function<String, CompletionStage<P>> pageAfter,
      Function<P, List<T>> items,
      Predicate<P> hasMore,
      Function<T, String> key,
      String startAfter,
      List<T> all) {
    return pageAfter
        .apply(startAfter)
        .thenCompose(
            page -> {
              List<T> got = items.apply(page);
              all.addAll(got);
              if (!hasMore.test(page) || got.isEmpty()) {
                return CompletableFuture.completedFuture(all);
              }
              return nextPages(
                  pageAfter, items, hasMore, key, key.apply(got.get(got.size() - 1)), all);
            });
  }

  /** Whether an append with or without {@code match_seq_num} may be sent again. */
  boolean mayRetryAppend(boolean hasMatchSeqNum) {
    return switch (config.appendRetry()) {
      case ALWAYS -> true;
      case IF_IDEMPOTENT -> hasMatchSeqNum;
      case NEVER -> false;
    };
  }
}
