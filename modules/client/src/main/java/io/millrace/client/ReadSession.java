package io.millrace.client;

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
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

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
  /** Receives a read session's output, on a Pekko dispatcher thread; never concurrently. */
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
  private volatile UniqueKillSwitch killSwitch;
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
    UniqueKillSwitch k = killSwitch;
    if (k != null) {
      k.shutdown();
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
    Source<ReadSessionResponse, NotUsed> source =
        c.calls
            .auth(c.streams.readSession())
            .addHeader(Calls.BASIN_HEADER, stream.basin().name())
            .invoke(resumeRequest());
    if (request.getHeartbeats()) {
      source = source.idleTimeout(c.config().heartbeatTimeout());
    }
    Pair<UniqueKillSwitch, CompletionStage<org.apache.pekko.Done>> run =
        source
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.foreach(this::onResponse), Keep.both())
            .run(c.system());
    killSwitch = run.first();
    if (cancelled) {
      run.first().shutdown();
    }
    run.second().whenComplete((ok, e) -> ended(e));
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
    CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS).execute(this::connect);
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
