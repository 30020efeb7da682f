package io.millrace.client;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendSessionRequest;
import io.millrace.client.proto.AppendSessionResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A pipelined append session (gRPC {@code AppendSession}): many batches in flight on one stream,
 * acknowledged in the order they were submitted. {@link #submit} returns the batch's
 * acknowledgement; when {@link ClientConfig#maxInflightBatches()} batches are unacknowledged it
 * blocks the caller until one is (backpressure).
 *
 * <p><b>Dropped connections.</b> When the call fails with a retryable error (the connection was
 * cut, the server restarted or is draining), the session is re-established on a new call with the
 * client's retry policy, and the unacknowledged batches are sent again, in their order, before any
 * later one, if that is safe under {@link ClientConfig#appendRetry()}: with {@code IF_IDEMPOTENT}
 * (the default) only when every one of them carries {@code match_seq_num}, so one that had landed
 * fails with {@code seq_num_mismatch} instead of being written twice; with {@code ALWAYS} (opt-in,
 * at-least-once) always; with {@code NEVER} not at all. Acknowledgements still come in submit
 * order; the retry count resets with every acknowledgement.
 *
 * <p><b>Flow control.</b> The batches in flight are bounded by {@code maxInflightBatches} on the
 * client; the server's acknowledgements are taken one at a time as they are handled (gRPC flow
 * control, so a slow client holds the server's writes back instead of buffering them).
 *
 * <p>Any other failure ends the session: that batch and every batch after it fail with the same
 * {@link S2Error} (batches acknowledged before it stay appended), and later submits fail at once.
 */
public final class AppendSession implements AutoCloseable {
  private final StreamClient client;
  private final int maxInflight;
  private final Semaphore permits;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final String stream;
  private ClientCall<AppendSessionRequest, AppendSessionResponse> call;
  private int connection;
  private int failures;
  private S2Error failure;
  private boolean closed;
  private long lastEnd = -1;

  private record Pending(AppendInput input, CompletableFuture<AppendOutput> ack) {
    int records() {
      return input.getRecordsCount();
    }
  }

  AppendSession(StreamClient stream) {
    this.client = stream;
    this.stream = stream.name();
    this.maxInflight = stream.client().config().maxInflightBatches();
    this.permits = new Semaphore(maxInflight);
    synchronized (this) {
      connect();
    }
  }

  /**
   * Opens a call and sends every unacknowledged batch on it, in order. Called with the lock held,
   * so no submit slips in between.
   */
  private void connect() {
    MillraceClient c = client.client();
    int id = ++connection;
    ClientCall<AppendSessionRequest, AppendSessionResponse> next =
        c.calls.newCall(S2Methods.APPEND_SESSION);
    call = next;
    next.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(AppendSessionResponse message) {
            onResponse(id, message);
            // the next acknowledgement, once this one is handled
            next.request(1);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            ended(id, status.isOk() ? null : status.asRuntimeException(trailers));
          }
        },
        c.calls.headers(client.basin().name(), null));
    next.request(1);
    for (Pending p : pending) {
      next.sendMessage(request(p.input()));
    }
    if (closed) {
      next.halfClose();
    }
  }

  private AppendSessionRequest request(AppendInput input) {
    return AppendSessionRequest.newBuilder().setInput(input.toBuilder().setStream(stream)).build();
  }

  private void ended(int id, Throwable e) {
    S2Error err;
    synchronized (this) {
      if (id != connection) {
        return;
      }
      if (failure != null) {
        done.complete(null);
        return;
      }
      if (e == null && pending.isEmpty() && closed) {
        closed = true;
        permits.release(maxInflight);
        done.complete(null);
        return;
      }
      err =
          e != null
              ? S2Error.from(e)
              : new S2Error(
                  Status.Code.UNAVAILABLE,
                  "session_ended",
                  "the server ended the session before it was closed",
                  true,
                  null,
                  null,
                  null);
      RetryPolicy retry = client.client().config().retry();
      if (err.retryable() && ++failures < retry.maxAttempts() && resendable()) {
        retryLater(err, retry.delay(failures));
        return;
      }
    }
    fail(err);
    done.complete(null);
  }

  private synchronized void reconnect() {
    if (failure == null) {
      connect();
    }
  }

  private void retryLater(S2Error cause, Duration delay) {
    CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS)
        .execute(
            () -> {
              client.client().calls.beforeRetry(cause);
              reconnect();
            });
  }

  /** Whether every unacknowledged batch may be sent again under the append retry rule. */
  private boolean resendable() {
    Calls calls = client.client().calls;
    for (Pending p : pending) {
      if (!calls.mayRetryAppend(p.input().hasMatchSeqNum())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Sends {@code input} (its {@code stream} is set to the session's) and returns its
   * acknowledgement. Blocks while {@code maxInflightBatches} batches await theirs.
   *
   * @throws InterruptedException if interrupted while waiting for room
   */
  public CompletionStage<AppendOutput> submit(AppendInput input) throws InterruptedException {
    permits.acquire();
    CompletableFuture<AppendOutput> ack = new CompletableFuture<>();
    synchronized (this) {
      if (failure != null || closed) {
        permits.release();
        ack.completeExceptionally(
            failure != null ? failure : new IllegalStateException("append session is closed"));
        return ack;
      }
      pending.add(new Pending(input, ack));
      // a call that is failing is replaced (with this batch resent) or fails the batch; what is
      // sent on a call that has ended goes nowhere
      call.sendMessage(request(input));
    }
    return ack;
  }

  /** How many batches were sent and await their acknowledgement. */
  public synchronized int inflight() {
    return pending.size();
  }

  private void onResponse(int id, AppendSessionResponse response) {
    Pending p;
    AppendOutput out = response.getOutput();
    S2Error bad = null;
    synchronized (this) {
      if (id != connection) {
        return;
      }
      failures = 0;
      p = pending.poll();
      if (p == null) {
        bad = protocolError("an acknowledgement for a batch that was not sent");
      } else if (out.getEndSeqNum() - out.getStartSeqNum() != p.records()
          || out.getStartSeqNum() < lastEnd) {
        bad =
            protocolError(
                "acknowledgement ["
                    + out.getStartSeqNum()
                    + ", "
                    + out.getEndSeqNum()
                    + ") does not fit a batch of "
                    + p.records()
                    + " records after seq num "
                    + lastEnd);
      } else {
        lastEnd = out.getEndSeqNum();
      }
    }
    if (p != null) {
      permits.release();
    }
    if (bad != null) {
      if (p != null) {
        p.ack().completeExceptionally(bad);
      }
      fail(bad);
      failQueue(bad);
      return;
    }
    p.ack().complete(out);
  }

  private static S2Error protocolError(String message) {
    return new S2Error(Status.Code.INTERNAL, "protocol", message, false, null, null, null);
  }

  private synchronized void failQueue(S2Error e) {
    call.cancel(e.getMessage(), e);
  }

  private void fail(S2Error e) {
    ArrayDeque<Pending> failed;
    synchronized (this) {
      if (failure == null) {
        failure = e;
      }
      failed = new ArrayDeque<>(pending);
      pending.clear();
    }
    for (Pending p : failed) {
      p.ack().completeExceptionally(failure);
    }
    // wake submitters blocked on a full session; they see the failure
    permits.release(maxInflight);
  }

  /** The failure that ended the session, or null. */
  public synchronized S2Error failure() {
    return failure;
  }

  /**
   * Stops taking batches and completes once every sent batch is acknowledged (or failed) and the
   * server has ended the call.
   */
  public CompletionStage<Void> closeAsync() {
    synchronized (this) {
      if (!closed) {
        closed = true;
        try {
          call.halfClose();
        } catch (IllegalStateException alreadyEnded) {
          // the call was cancelled (failed); done completes with it
        }
      }
    }
    return done;
  }

  /** {@link #closeAsync()} and wait. */
  @Override
  public void close() {
    closeAsync().toCompletableFuture().join();
  }
}
