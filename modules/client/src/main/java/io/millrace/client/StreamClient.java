package io.millrace.client;

import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendRecord;
import io.millrace.client.proto.AppendRequest;
import io.millrace.client.proto.CheckTailRequest;
import io.millrace.client.proto.CheckTailResponse;
import io.millrace.client.proto.ReadOutput;
import io.millrace.client.proto.ReadRequest;
import io.millrace.client.proto.ReadSessionRequest;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Appends and reads of one stream. */
public final class StreamClient {
  private final BasinClient basin;
  private final String stream;

  StreamClient(BasinClient basin, String stream) {
    this.basin = basin;
    this.stream = stream;
  }

  public String name() {
    return stream;
  }

  public BasinClient basin() {
    return basin;
  }

  MillraceClient client() {
    return basin.client();
  }

  /** The next seq num the stream will assign and the timestamp of its last record. */
  public CompletionStage<CheckTailResponse> checkTail() {
    MillraceClient c = client();
    CheckTailRequest req = CheckTailRequest.newBuilder().setStream(stream).build();
    return c.calls.unary(true, S2Methods.CHECK_TAIL, req, basin.name(), null);
  }

  /**
   * Appends one batch, durably; completes with its seq nums once acknowledged. A retryable failure
   * is retried only when {@link ClientConfig#appendRetry()} allows it for this input (by default:
   * only if it carries {@code match_seq_num}, see {@link Records#appendAt}).
   */
  public CompletionStage<AppendOutput> append(AppendInput input) {
    MillraceClient c = client();
    AppendRequest req =
        AppendRequest.newBuilder().setInput(input.toBuilder().setStream(stream)).build();
    return c.calls
        .unary(
            c.calls.mayRetryAppend(input.hasMatchSeqNum()),
            S2Methods.APPEND,
            req,
            basin.name(),
            null)
        .thenApply(r -> r.getOutput());
  }

  /** Appends {@code records} unconditionally. */
  public CompletionStage<AppendOutput> append(List<AppendRecord> records) {
    return append(Records.append(records));
  }

  /**
   * One unary read (never waits at the tail): a batch, or the tail's {@code next_seq_num} when the
   * start is past it.
   */
  public CompletionStage<ReadOutput> read(ReadRequest request) {
    MillraceClient c = client();
    ReadRequest req = request.toBuilder().setStream(stream).build();
    return c.calls
        .unary(true, S2Methods.READ, req, basin.name(), null)
        .thenApply(r -> r.getOutput());
  }

  /** Opens a pipelined append session (see {@link AppendSession}). */
  public AppendSession appendSession() {
    return new AppendSession(this);
  }

  /**
   * Starts a read session that hands batches to {@code listener} in order and, after a retryable
   * failure, reconnects from the seq num after the last record it delivered (see {@link
   * ReadSession}).
   */
  public ReadSession readSession(ReadSessionRequest request, ReadSession.Listener listener) {
    return ReadSession.start(this, request.toBuilder().setStream(stream).build(), listener);
  }
}
