package io.millrace.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The gRPC calls of a client over its one channel: request metadata ({@code authorization}, {@code
 * s2-basin}, {@code s2-request-token}), one unary try bounded by the request timeout (a gRPC
 * deadline), the retry loop shared by every unary call, and new calls for the sessions.
 */
final class Calls {
  static final String BASIN_HEADER = "s2-basin";
  static final String REQUEST_TOKEN_HEADER = "s2-request-token";
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> BASIN =
      Metadata.Key.of(BASIN_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> REQUEST_TOKEN =
      Metadata.Key.of(REQUEST_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  final ClientConfig config;
  private final ManagedChannel channel;

  Calls(ClientConfig config, ManagedChannel channel) {
    this.config = config;
    this.channel = channel;
  }

  /**
   * The headers of one call: the bearer token if the client has one, {@code s2-basin} and {@code
   * s2-request-token} when not null. A fresh object per call (grpc-java may add to it).
   */
  Metadata headers(String basin, String requestToken) {
    Metadata m = new Metadata();
    if (config.accessToken() != null) {
      m.put(AUTHORIZATION, "Bearer " + config.accessToken());
    }
    if (basin != null) {
      m.put(BASIN, basin);
    }
    if (requestToken != null) {
      m.put(REQUEST_TOKEN, requestToken);
    }
    return m;
  }

  /** A new call of a streaming {@code method}, without a deadline (sessions run for long). */
  <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method) {
    return channel.newCall(method, CallOptions.DEFAULT);
  }

  /**
   * One try of a unary call with the request timeout as its deadline. Completes with the response
   * or fails with the call's {@link io.grpc.StatusRuntimeException} (status and trailers).
   */
  <Q, R> CompletableFuture<R> once(MethodDescriptor<Q, R> method, Q request, Metadata headers) {
    ClientCall<Q, R> call =
        channel.newCall(
            method,
            CallOptions.DEFAULT.withDeadlineAfter(
                config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS));
    CompletableFuture<R> result = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<R>() {
          private R response;

          @Override
          public void onMessage(R message) {
            response = message;
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            if (!status.isOk()) {
              result.completeExceptionally(status.asRuntimeException(trailers));
            } else if (response == null) {
              result.completeExceptionally(
                  Status.INTERNAL
                      .withDescription("the server ended a unary call without a response")
                      .asRuntimeException(trailers));
            } else {
              result.complete(response);
            }
          }
        },
        headers);
    try {
      // a unary answer is one message; asking for two lets a misbehaving server's second one show
      call.request(2);
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException | Error e) {
      call.cancel("the request could not be sent", e);
      throw e;
    }
    return result;
  }

  /** {@link #unary(boolean, Supplier)} of {@link #once} with these headers on every try. */
  <Q, R> CompletionStage<R> unary(
      boolean mayRetry, MethodDescriptor<Q, R> method, Q request, String basin, String token) {
    return unary(mayRetry, () -> once(method, request, headers(basin, token)));
  }

  /**
   * Runs {@code call} until it succeeds, fails with a non-retryable error, {@code mayRetry} is
   * false, or the retry policy's attempts are used up. Fails with an {@link S2Error}.
   */
  <T> CompletionStage<T> unary(boolean mayRetry, Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(1, mayRetry, call, result);
    return result;
  }

  private <T> void attempt(
      int attempt, boolean mayRetry, Supplier<CompletionStage<T>> call, CompletableFuture<T> out) {
    CompletionStage<T> one;
    try {
      one = call.get();
    } catch (RuntimeException e) {
      one = CompletableFuture.failedFuture(e);
    }
    one.whenComplete(
        (v, e) -> {
          if (e == null) {
            out.complete(v);
            return;
          }
          S2Error err = S2Error.from(e);
          if (mayRetry && err.retryable() && attempt < config.retry().maxAttempts()) {
            Duration d = config.retry().delay(attempt);
            CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS)
                .execute(
                    () -> {
                      beforeRetry(err);
                      attempt(attempt + 1, mayRetry, call, out);
                    });
          } else {
            out.completeExceptionally(err);
          }
        });
  }

  /**
   * Before another try after {@code cause}: when the connection could not be made, the channel
   * connects again now instead of after its own reconnect backoff (which grows to minutes), so the
   * SDK's retry policy decides how often a down server is tried.
   */
  void beforeRetry(S2Error cause) {
    if (cause.status() == Status.Code.UNAVAILABLE) {
      channel.resetConnectBackoff();
    }
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
