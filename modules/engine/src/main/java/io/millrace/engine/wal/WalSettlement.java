package io.millrace.engine.wal;

import io.millrace.core.S2Exception;
import io.millrace.engine.EngineSettings;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import java.time.Duration;
import java.util.Optional;

/**
 * How a channel incarnation that gives up settles its WAL before it fails anything (engine README,
 * "Decisions"), so that what it acknowledges is exactly what a recovering owner will trust.
 *
 * <ol>
 *   <li>Nothing fails yet, not even the appends of the open chunk, which were never written: a
 *       stream's answers must go out in its log order, and a failure of a later batch answered
 *       while an earlier batch's chunk is still being settled makes the owner fail and roll back
 *       that earlier batch too, although the settlement may find its chunk written and acknowledge
 *       it (engine simulation seed 905 of session 12: the owner then sealed its streamlet below a
 *       record that a concurrent recovery had replayed, and every later recovery found a gap).
 *   <li>In chunk order, every chunk known to be written is acknowledged.
 *   <li>At the first chunk that is not, a seal is written at that very key (create-only). If it
 *       lands, that chunk can never appear: settling ends ({@link Sealed}).
 *   <li>If the key is taken, the object there is read back: our own chunk (written after all) is
 *       acknowledged and settling goes on at the next key (2); anything else is someone else's seal
 *       ({@link Sealed}).
 *   <li>Any other failure of the seal write is retried with backoff a few times, then settling
 *       gives up ({@link GaveUp}): the unacknowledged appends fail although some may have landed.
 * </ol>
 *
 * <p>When settling ends, the channel fails every append still unacknowledged ({@link
 * ChunkPipeline#failAll}) and stops. This class does no I/O: each call returns the {@link Step} the
 * channel actor performs next, and the actor reports the outcome back.
 */
final class WalSettlement {
  /** What the channel does next. */
  sealed interface Step {}

  /** Write a seal at chunk {@code chunkSeq}'s key; report to {@link #sealWritten}. */
  record WriteSeal(long chunkSeq) implements Step {}

  /** Read the object at chunk {@code chunkSeq}'s key; report to {@link #readBack}. */
  record ReadBack(long chunkSeq) implements Step {}

  /** Call {@link #retry} after {@code delay}. */
  record RetryLater(Duration delay) implements Step {}

  /** The WAL is final at {@code chunkSeq}: record the seal, fail the rest and stop. */
  record Sealed(long chunkSeq, String how) implements Step {}

  /** The seal at {@code chunkSeq} could not be written: fail the rest and stop. */
  record GaveUp(long chunkSeq, Throwable error) implements Step {}

  private final ChunkPipeline pipeline;
  private final S2Exception cause;
  private final EngineSettings settings;
  private int sealAttempts;

  /** Seal writes are retried {@code write-retries + 2} times, from {@code write-retry-backoff}. */
  WalSettlement(ChunkPipeline pipeline, S2Exception cause, EngineSettings settings) {
    this.pipeline = pipeline;
    this.cause = cause;
    this.settings = settings;
  }

  /** Why the incarnation gives up: the error every unacknowledged append fails with. */
  S2Exception cause() {
    return cause;
  }

  /** Acknowledges what is written; where to seal. Nothing fails before the settlement ends. */
  WriteSeal begin() {
    return sealNext();
  }

  /** A chunk write still in flight when settling began has landed. */
  void chunkWritten(long chunkSeq) {
    pipeline.markWritten(chunkSeq);
  }

  /** The seal write at {@code chunkSeq} ended, with {@code error} null if it landed. */
  Step sealWritten(long chunkSeq, Throwable error) {
    if (error == null) {
      return new Sealed(chunkSeq, "sealed its own WAL");
    }
    if (error instanceof ObjectAlreadyExistsException) {
      return new ReadBack(chunkSeq);
    }
    if (sealAttempts <= settings.writeRetries() + 2) {
      return new RetryLater(
          settings.writeRetryBackoff().multipliedBy(1L << Math.min(sealAttempts, 10)));
    }
    return new GaveUp(chunkSeq, error);
  }

  /** The object found at chunk {@code chunkSeq}'s key, which the seal could not take. */
  Step readBack(long chunkSeq, Optional<byte[]> existing) {
    if (pipeline.isOwnChunk(chunkSeq, existing)) {
      pipeline.markWritten(chunkSeq);
      sealAttempts = 0;
      return sealNext();
    }
    return new Sealed(chunkSeq, "found its WAL sealed");
  }

  /** The backoff of {@link RetryLater} is over. */
  Step retry() {
    return sealNext();
  }

  private WriteSeal sealNext() {
    pipeline.ackWritten();
    sealAttempts++;
    return new WriteSeal(pipeline.firstUnwritten());
  }
}
