package io.millrace.engine.stream;

import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendValidation;
import io.millrace.metadata.StreamRecord;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A pipelined append session of {@link DataPlane}: each batch is validated ({@link
 * AppendValidation}, exactly as {@code DataPlane.append} validates a unary append; an invalid batch
 * fails with the validation's {@code S2Exception} and poisons the session); the stream is resolved
 * once, at the first valid batch; each batch is sent to the stream entity as a {@link
 * StreamEntity.SessionAppend} only after the one before it was sent (one chain of sends), so the
 * entity receives them in submission order while many are in flight. The entity answers in log
 * order and, once a batch of the session has failed, fails every later batch of the session without
 * appending it. This side also stops sending once an outcome was a failure. Each batch says whether
 * an earlier one was still unanswered when it was sent, so that an entity incarnation that never
 * saw those (the stream moved) refuses it instead of appending it after a batch that may have
 * failed.
 */
public final class EngineAppendSession implements AppendSession {

  /** Sends one batch of the session to its stream. */
  public interface Sender {
    /**
     * Sends one batch; {@code afterUnanswered}: an earlier batch of the session has no answer yet
     * ({@link StreamEntity.SessionAppend}).
     */
    CompletionStage<AppendOutcome> send(
        StreamRecord stream, String sessionId, AppendInput input, boolean afterUnanswered);
  }

  private final String sessionId;
  private final Supplier<CompletionStage<StreamRecord>> resolve;
  private final Sender sender;
  private CompletableFuture<StreamRecord> resolved;
  private CompletableFuture<Void> sent = CompletableFuture.completedFuture(null);
  private volatile Throwable failure;
  private volatile AppendOutcome rejection;

  /** Batches sent to the stream and not answered yet. */
  private final AtomicInteger unanswered = new AtomicInteger();

  public EngineAppendSession(
      String sessionId, Supplier<CompletionStage<StreamRecord>> resolve, Sender sender) {
    this.sessionId = sessionId;
    this.resolve = resolve;
    this.sender = sender;
  }

  @Override
  public synchronized CompletionStage<AppendOutcome> submit(AppendInput input) {
    try {
      AppendValidation.validate(input);
    } catch (S2Exception e) {
      // The batch fails with the validation error, and the session with it: batches submitted
      // later are not appended (those submitted earlier are sent as they would have been).
      sent = sent.thenRun(() -> poison(e));
      return CompletableFuture.failedFuture(e);
    }
    if (resolved == null) {
      resolved = resolve.get().toCompletableFuture();
    }
    CompletableFuture<StreamRecord> stream = resolved;
    CompletableFuture<CompletionStage<AppendOutcome>> sending =
        sent.thenCompose(x -> stream)
            .thenApply(
                s -> {
                  if (failure != null) {
                    return CompletableFuture.<AppendOutcome>failedFuture(failure);
                  }
                  if (rejection != null) {
                    return CompletableFuture.completedFuture(rejection);
                  }
                  boolean afterUnanswered = unanswered.getAndIncrement() > 0;
                  CompletionStage<AppendOutcome> answer;
                  try {
                    answer = sender.send(s, sessionId, input, afterUnanswered);
                  } catch (RuntimeException e) {
                    unanswered.decrementAndGet();
                    throw e;
                  }
                  return answer.whenComplete((o, e) -> unanswered.decrementAndGet());
                });
    sent = sending.handle((x, err) -> (Void) null);
    return sending
        .thenCompose(f -> f)
        .whenComplete(
            (outcome, err) -> {
              if (err != null) {
                poison(err);
              } else if (!(outcome instanceof AppendOutcome.Appended) && rejection == null) {
                rejection = outcome;
              }
            });
  }

  private void poison(Throwable err) {
    if (failure == null) {
      failure = err;
    }
  }

  @Override
  public void close() {}
}
