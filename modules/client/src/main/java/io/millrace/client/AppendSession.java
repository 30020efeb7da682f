package io.millrace.client;

import io.grpc.Status;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendSessionRequest;
import io.millrace.client.proto.AppendSessionResponse;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A pipelined append session (gRPC {@code AppendSession}): many batches in flight on one stream,
 * acknowledged in the order they were submitted. {@link #submit} returns the batch's
 * acknowledgement; when {@link ClientConfig#maxInflightBatches()} batches are unacknowledged it
 * blocks the caller until one is (backpressure).
 *
 * <p>The first failure ends the session: that batch and every batch after it fail with the same
 * {@link S2Error} (batches acknowledged before it stay appended), and later submits fail at once. A
 * session is not retried by the SDK: whether the failed batches landed is unknown unless they
 * carried {@code match_seq_num}; open a new session and resend them conditionally.
 */
public final class AppendSession implements AutoCloseable {
  private final int maxInflight;
  private final Semaphore permits;
  private final BoundedSourceQueue<AppendSessionRequest> queue;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final String stream;
  private S2Error failure;
  private boolean closed;
  private long lastEnd = -1;

  private record Pending(int records, CompletableFuture<AppendOutput> ack) {}

  AppendSession(StreamClient stream) {
    MillraceClient c = stream.client();
    this.stream = stream.name();
    this.maxInflight = c.config().maxInflightBatches();
    this.permits = new Semaphore(maxInflight);
    Pair<BoundedSourceQueue<AppendSessionRequest>, Source<AppendSessionRequest, NotUsed>> q =
        Source.<AppendSessionRequest>queue(maxInflight).preMaterialize(c.system());
    this.queue = q.first();
    c.calls
        .auth(c.streams.appendSession())
        .addHeader(Calls.BASIN_HEADER, stream.basin().name())
        .invoke(q.second())
        .runWith(Sink.foreach(this::onResponse), c.system())
        .whenComplete(
            (ok, e) -> {
              if (e != null) {
                fail(S2Error.from(e));
              } else if (inflight() > 0) {
                fail(
                    new S2Error(
                        Status.Code.UNAVAILABLE,
                        "session_ended",
                        "the server ended the session before acknowledging this batch",
                        false,
                        null,
                        null,
                        null));
              } else {
                synchronized (this) {
                  closed = true;
                }
                permits.release(maxInflight);
              }
              done.complete(null);
            });
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
      pending.add(new Pending(input.getRecordsCount(), ack));
      QueueOfferResult r =
          queue.offer(
              AppendSessionRequest.newBuilder()
                  .setInput(input.toBuilder().setStream(stream))
                  .build());
      if (r != QueueOfferResult.enqueued()) {
        pending.removeLast();
        permits.release();
        ack.completeExceptionally(
            failure != null ? failure : new IllegalStateException("append session is closed"));
      }
    }
    return ack;
  }

  /** How many batches were sent and await their acknowledgement. */
  public synchronized int inflight() {
    return pending.size();
  }

  private void onResponse(AppendSessionResponse response) {
    Pending p;
    AppendOutput out = response.getOutput();
    S2Error bad = null;
    synchronized (this) {
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
      try {
        queue.fail(bad);
      } catch (IllegalStateException alreadyEnded) {
        // the call already ended
      }
      return;
    }
    p.ack().complete(out);
  }

  private static S2Error protocolError(String message) {
    return new S2Error(Status.Code.INTERNAL, "protocol", message, false, null, null, null);
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
          queue.complete();
        } catch (IllegalStateException alreadyEnded) {
          // the call already ended (failed); done completes with it
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
