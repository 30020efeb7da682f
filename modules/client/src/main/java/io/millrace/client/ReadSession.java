package io.millrace.client;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.millrace.client.proto.Header;
import io.millrace.client.proto.ReadLimit;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.ReadSessionResponse;
import io.millrace.client.proto.SequencedRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A read session (gRPC {@code ReadSession}) that survives dropped connections: batches go to the
 * {@link Listener} in order, one at a time (the next is not pulled from the server until the
 * listener returns, which is the backpressure); after a retryable failure it reconnects, with the
 * client's retry backoff, from the seq num after the last record delivered, with the session's
 * {@code count}/{@code bytes} limits reduced by what was delivered, so no record is delivered twice
 * or skipped. The retry count resets whenever data or a heartbeat arrives. With {@code heartbeats}
 * on, silence longer than {@link ClientConfig#heartbeatTimeout()} counts as a dropped connection.
 *
 * <p>{@link #done()} completes with the seq num to read from next when the session ends (its limit
 * or {@code until} reached, or the start was past the tail), or fails with the {@link S2Error} that
 * ended it.
 */
public final class ReadSession {
  /** Receives a read session's output, on a gRPC executor thread; never concurrently. */
  public interface Listener {
    /** The next records of the stream, in seq num order. */
    void onBatch(List<SequencedRecord> records);

    /** The server is alive and has nothing new (only with {@code heartbeats = true}). */
    default void onHeartbeat() {}

    /** The connection failed with {@code cause}; reconnecting from {@code nextSeqNum}. */
    default void onReconnect(S2Error cause, long nextSeqNum, int attempt) {}
  }

  private final StreamClient stream;
  private final ReadSessionRequest request;
  private final Listener listener;
  private final CompletableFuture<Long> done = new CompletableFuture<>();
  private final Long countLimit;
  private final Long bytesLimit;
  private volatile Long nextSeqNum;
  private volatile long delivered;
  private volatile long deliveredBytes;
  private volatile int failures;
  private volatile boolean cancelled;
  private ClientCall<ReadSessionRequest, ReadSessionResponse> call;
  private int connection;
  private volatile long lastHeardNanos;
  private volatile Long serverTail;

  private ReadSession(StreamClient stream, ReadSessionRequest request, Listener listener) {
    this.stream = stream;
    this.request = request;
    this.listener = listener;
    ReadLimit limit = request.getLimit();
    this.countLimit = limit.hasCount() && limit.getCount() > 0 ? limit.getCount() : null;
    this.bytesLimit = limit.hasBytes() && limit.getBytes() > 0 ? limit.getBytes() : null;
  }

  static ReadSession start(StreamClient stream, ReadSessionRequest request, Listener listener) {
    ReadSession s = new ReadSession(stream, request, listener);
    s.connect();
    return s;
  }

  /** Completes with the next seq num to read when the session ends; fails with its error. */
  public CompletionStage<Long> done() {
    return done;
  }

  /** The seq num after the last record delivered, or -1 before any. */
  public long nextSeqNum() {
    Long n = nextSeqNum;
    return n == null ? -1 : n;
  }

  /** How many records were delivered. */
  public long delivered() {
    return delivered;
  }

  /** Ends the session; {@link #done()} then completes normally. */
  public void cancel() {
    cancelled = true;
    synchronized (this) {
      if (call != null) {
        call.cancel("cancelled by the client", null);
      }
    }
  }

  /** The request for the next connection: the original one, moved past what was delivered. */
  ReadSessionRequest resumeRequest() {
    Long next = nextSeqNum;
    if (next == null) {
      return request;
    }
    ReadSessionRequest.Builder b = request.toBuilder().setSeqNum(next);
    ReadLimit.Builder limit = ReadLimit.newBuilder();
    if (countLimit != null) {
      limit.setCount(countLimit - delivered);
    }
    if (bytesLimit != null) {
      limit.setBytes(bytesLimit - deliveredBytes);
    }
    if (countLimit != null || bytesLimit != null) {
      b.setLimit(limit);
    }
    return b.build();
  }

  private boolean limitReached() {
    return (countLimit != null && delivered >= countLimit)
        || (bytesLimit != null && deliveredBytes >= bytesLimit);
  }

  private void connect() {
    if (cancelled) {
      done.complete(nextOrTail());
      return;
    }
    if (limitReached()) {
      done.complete(nextOrTail());
      return;
    }
    MillraceClient c = stream.client();
    ClientCall<ReadSessionRequest, ReadSessionResponse> next;
    int id;
    synchronized (this) {
      id = ++connection;
      next = c.calls.newCall(S2Methods.READ_SESSION);
      call = next;
      lastHeardNanos = System.nanoTime();
      next.start(
          new ClientCall.Listener<>() {
            private Throwable listenerFailure;

            @Override
            public void onMessage(ReadSessionResponse message) {
              lastHeardNanos = System.nanoTime();
              try {
                onResponse(message);
              } catch (RuntimeException | Error e) {
                listenerFailure = e;
                synchronized (ReadSession.this) {
                  next.cancel("the listener failed", e);
                }
                return;
              }
              // the next message only once the listener has this one: backpressure
              next.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              if (status.isOk()) {
                ended(null);
              } else if (listenerFailure != null) {
                ended(listenerFailure);
              } else if (status.getCause() instanceof TimeoutException t) {
                ended(t);
              } else {
                ended(status.asRuntimeException(trailers));
              }
            }
          },
          c.calls.headers(stream.basin().name(), null));
      next.request(1);
      next.sendMessage(resumeRequest());
      next.halfClose();
      if (cancelled) {
        next.cancel("cancelled by the client", null);
      }
    }
    if (request.getHeartbeats()) {
      watchHeartbeats(id, c.config().heartbeatTimeout());
    }
  }

  /**
   * While connection {@code id} is the current one, cancels it with a {@link TimeoutException}
   * (retryable, {@code request_timeout}) once nothing was heard on it for {@code timeout}.
   */
  private void watchHeartbeats(int id, Duration timeout) {
    long silentFor = System.nanoTime() - lastHeardNanos;
    long wait = timeout.toNanos() - silentFor;
    synchronized (this) {
      if (id != connection || done.isDone()) {
        return;
      }
      if (wait <= 0) {
        call.cancel(
            "no message within the heartbeat timeout",
            new TimeoutException("no heartbeat or data for " + timeout));
        return;
      }
    }
    CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS)
        .execute(() -> watchHeartbeats(id, timeout));
  }

  private void onResponse(ReadSessionResponse response) {
    if (!response.hasOutput()) {
      failures = 0;
      listener.onHeartbeat();
      return;
    }
    var output = response.getOutput();
    if (output.hasNextSeqNum()) {
      serverTail = output.getNextSeqNum();
      return;
    }
    List<SequencedRecord> records = output.getBatch().getRecordsList();
    failures = 0;
    if (records.isEmpty()) {
      return;
    }
    long bytes = 0;
    for (SequencedRecord r : records) {
      bytes += meteredBytes(r);
    }
    nextSeqNum = records.get(records.size() - 1).getSeqNum() + 1;
    delivered += records.size();
    deliveredBytes += bytes;
    listener.onBatch(records);
  }

  /**
   * Whether a session whose call ended without an error is finished: cancelled, its limit reached,
   * the server said where the stream ends ({@code next_seq_num}), or it reads {@code until} a
   * timestamp. Otherwise the call was cut short (a server shutting down may end it cleanly), and
   * the session follows the stream on a new call.
   */
  private boolean finished() {
    return cancelled || limitReached() || serverTail != null || request.hasUntil();
  }

  private void ended(Throwable e) {
    if (cancelled || (e == null && finished())) {
      done.complete(nextOrTail());
      return;
    }
    S2Error err =
        e != null
            ? S2Error.from(e)
            : new S2Error(
                Status.Code.UNAVAILABLE,
                "unavailable",
                "the server ended the read session before its end",
                true,
                null,
                null,
                null);
    RetryPolicy retry = stream.client().config().retry();
    int attempt = ++failures;
    if (!err.retryable() || attempt >= retry.maxAttempts()) {
      done.completeExceptionally(err);
      return;
    }
    listener.onReconnect(err, nextSeqNum(), attempt);
    Duration d = retry.delay(attempt);
    CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS)
        .execute(
            () -> {
              stream.client().calls.beforeRetry(err);
              connect();
            });
  }

  private long nextOrTail() {
    Long t = serverTail;
    if (t != null) {
      return t;
    }
    return nextSeqNum();
  }

  /** S2's metered size of a record: 8 + 2 per header + header names and values + body. */
  public static long meteredBytes(SequencedRecord r) {
    long n = 8 + r.getBody().size();
    for (Header h : r.getHeadersList()) {
      n += 2 + h.getName().size() + h.getValue().size();
    }
    return n;
  }
}
