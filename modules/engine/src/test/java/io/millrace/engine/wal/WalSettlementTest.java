package io.millrace.engine.wal;

import static io.millrace.engine.wal.RecordingOutbox.CHANNEL;
import static io.millrace.engine.wal.RecordingOutbox.append;
import static io.millrace.engine.wal.RecordingOutbox.durable;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.engine.EngineSettings;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WalSettlementTest {
  private static final Duration BACKOFF = Duration.ofMillis(10);
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final ChannelLoad load = new ChannelLoad();
  private final S2Exception cause = new S2Exception(ErrorCode.STORAGE, "gave up");

  private final EngineSettings settings =
      ChannelFixture.settings(
          "millrace.engine.channels {\n"
              + "  max-chunk-writes-in-flight = 2\n"
              + "  chunk-max-bytes = 10\n"
              + "  write-retries = 0\n"
              + "  write-retry-backoff = 10 ms\n"
              + "}\n");

  /** Chunks 0 and 1 in flight (batches 0 and 1), batch 2 in the open chunk. */
  private final ChunkPipeline pipeline = new ChunkPipeline(CHANNEL, settings, load, outbox);

  private WalSettlement settlement() {
    pipeline.append(append("a", 1, 0, 18));
    pipeline.append(append("b", 1, 1, 18));
    pipeline.append(append("a", 1, 2, 18));
    return new WalSettlement(pipeline, cause, settings);
  }

  /** A settlement that has begun, after {@code written} chunks were written; its replies taken. */
  private WalSettlement begun(long... written) {
    WalSettlement s = settlement();
    for (long chunkSeq : written) {
      pipeline.written(chunkSeq);
    }
    s.begin();
    outbox.take();
    return s;
  }

  /** Fails what the pipeline still holds with the settlement's cause; the replies that gives. */
  private List<Channel.Result> failAll(WalSettlement s) {
    pipeline.failAll(s.cause());
    return outbox.take();
  }

  private Channel.Failed failed(long batch) {
    return new Channel.Failed(CHANNEL, batch, cause);
  }

  private static ObjectAlreadyExistsException taken(long chunkSeq) {
    return new ObjectAlreadyExistsException(Channel.walKey(CHANNEL, chunkSeq));
  }

  @Test
  void nothingFailsBeforeTheSettlementEndsAndTheSealGoesAtTheFirstUnwrittenChunk() {
    WalSettlement s = settlement();
    pipeline.written(1);

    assertThat(s.begin()).isEqualTo(new WalSettlement.WriteSeal(0));
    // Batch 2 (stream a, open chunk) is not failed while batch 0 (stream a, chunk 0) is unsettled.
    assertThat(outbox.take()).isEmpty();

    assertThat(s.sealWritten(0, null)).isEqualTo(new WalSettlement.Sealed(0, "sealed its own WAL"));
    assertThat(failAll(s)).containsExactly(failed(0), failed(1), failed(2));
  }

  @Test
  void anEarlierBatchFoundWrittenIsAcknowledgedBeforeALaterBatchOfTheSameStreamFails() {
    // Engine simulation seed 905 of session 12: a failure of batch 2 answered first made the owner
    // roll back batch 0 too, whose chunk the settlement then found written.
    WalSettlement s = settlement();

    assertThat(s.begin()).isEqualTo(new WalSettlement.WriteSeal(0));
    assertThat(s.sealWritten(0, taken(0))).isEqualTo(new WalSettlement.ReadBack(0));
    byte[] ours = pipeline.inFlight(0).data;
    assertThat(s.readBack(0, Optional.of(ours))).isEqualTo(new WalSettlement.WriteSeal(1));
    assertThat(s.sealWritten(1, null)).isEqualTo(new WalSettlement.Sealed(1, "sealed its own WAL"));
    List<Channel.Result> answers = new ArrayList<>(outbox.take());
    answers.addAll(failAll(s));

    assertThat(answers).containsExactly(durable(0, 0), failed(1), failed(2));
  }

  @Test
  void aChunkFoundWrittenAfterAllIsAcknowledgedWithTheWrittenOnesAfterItAndTheSealMovesOn() {
    WalSettlement s = begun(1);

    assertThat(s.sealWritten(0, taken(0))).isEqualTo(new WalSettlement.ReadBack(0));
    byte[] ours = pipeline.inFlight(0).data;
    assertThat(s.readBack(0, Optional.of(ours))).isEqualTo(new WalSettlement.WriteSeal(2));
    assertThat(outbox.take()).containsExactly(durable(0, 0), durable(1, 1));

    assertThat(s.sealWritten(2, null)).isEqualTo(new WalSettlement.Sealed(2, "sealed its own WAL"));
    assertThat(failAll(s)).as("the open chunk, last").containsExactly(failed(2));
    assertThat(load.pendingBytes()).isZero();
  }

  @Test
  void someoneElsesSealAtTheFirstUnwrittenChunkFailsItAndEverythingAfter() {
    WalSettlement s = begun();

    assertThat(s.sealWritten(0, taken(0))).isEqualTo(new WalSettlement.ReadBack(0));
    byte[] seal = io.millrace.format.WalChunkCodec.encodeSeal(CHANNEL, 0);
    assertThat(s.readBack(0, Optional.of(seal)))
        .isEqualTo(new WalSettlement.Sealed(0, "found its WAL sealed"));
    assertThat(failAll(s)).containsExactly(failed(0), failed(1), failed(2));
  }

  @Test
  void aWriteThatLandsWhileSettlingIsAcknowledgedAtTheNextSealAttempt() {
    WalSettlement s = begun();

    s.chunkWritten(0);
    assertThat(outbox.take()).isEmpty();
    assertThat(s.sealWritten(0, new ObjectStoreException("timed out")))
        .isEqualTo(new WalSettlement.RetryLater(BACKOFF.multipliedBy(2)));

    assertThat(s.retry()).isEqualTo(new WalSettlement.WriteSeal(1));
    assertThat(outbox.take()).containsExactly(durable(0, 0));
  }

  @Test
  void aSealWriteThatKeepsFailingIsRetriedWithGrowingBackoffThenGivesUp() {
    WalSettlement s = settlement();
    ObjectStoreException down = new ObjectStoreException("down");
    s.begin();

    assertThat(s.sealWritten(0, down))
        .isEqualTo(new WalSettlement.RetryLater(BACKOFF.multipliedBy(2)));
    assertThat(s.retry()).isEqualTo(new WalSettlement.WriteSeal(0));
    assertThat(s.sealWritten(0, down))
        .isEqualTo(new WalSettlement.RetryLater(BACKOFF.multipliedBy(4)));
    assertThat(s.retry()).isEqualTo(new WalSettlement.WriteSeal(0));
    assertThat(s.sealWritten(0, down)).isEqualTo(new WalSettlement.GaveUp(0, down));
  }
}
