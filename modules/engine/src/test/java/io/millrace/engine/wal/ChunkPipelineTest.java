package io.millrace.engine.wal;

import static io.millrace.engine.wal.RecordingOutbox.CHANNEL;
import static io.millrace.engine.wal.RecordingOutbox.append;
import static io.millrace.engine.wal.RecordingOutbox.durable;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import org.junit.jupiter.api.Test;

class ChunkPipelineTest {
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final ChannelLoad load = new ChannelLoad();

  private ChunkPipeline pipeline(int maxWritesInFlight, long chunkMaxBytes) {
    return new ChunkPipeline(
        CHANNEL,
        ChannelFixture.settings(
            "millrace.engine.channels.max-chunk-writes-in-flight = "
                + maxWritesInFlight
                + "\nmillrace.engine.channels.chunk-max-bytes = "
                + chunkMaxBytes),
        load,
        outbox);
  }

  /** Appends batches {@code batchIds} of 18 bytes each to stream a at epoch 1. */
  private static void appendToA(ChunkPipeline p, long... batchIds) {
    for (long batchId : batchIds) {
      p.append(append("a", 1, batchId, 18));
    }
  }

  /** The {@code index}th chunk written, decoded. */
  private WalObject.Chunk writtenChunk(int index) {
    return (WalObject.Chunk) WalChunkCodec.decode(outbox.writes.get(index).data);
  }

  @Test
  void chunksWrittenOutOfOrderAreAcknowledgedInChunkOrder() {
    ChunkPipeline p = pipeline(4, 50);
    p.append(append("a", 1, 0, 18));
    p.append(append("a", 1, 1, 54));
    p.append(append("b", 1, 2, 60));
    assertThat(outbox.writtenSeqs()).containsExactly(0L, 1L, 2L);

    p.written(2);
    p.written(1);
    assertThat(outbox.take()).isEmpty();
    p.written(0);

    assertThat(outbox.take()).containsExactly(durable(0, 0), durable(1, 1), durable(2, 2));
    assertThat(load.pendingBytes()).isZero();
    assertThat(p.nextChunkSeq()).isEqualTo(3);
  }

  @Test
  void appendsArrivingWhileAWriteIsInFlightShareTheChunkClosedWhenThatWriteEnds() {
    ChunkPipeline p = pipeline(4, 1000);
    p.append(append("a", 1, 0, 18));
    p.append(append("b", 1, 1, 18));
    p.append(append("a", 1, 2, 18));
    assertThat(outbox.writtenSeqs()).containsExactly(0L);
    assertThat(outbox.timers).containsExactly(1L);
    assertThat(load.pendingBytes()).isEqualTo(54);

    p.written(0);

    assertThat(outbox.take()).containsExactly(durable(0, 0));
    assertThat(outbox.writtenSeqs()).containsExactly(0L, 1L);
    WalObject.Chunk chunk1 = writtenChunk(1);
    assertThat(chunk1.sections()).extracting(StreamSection::streamId).containsExactly("b", "a");
    p.written(1);
    assertThat(outbox.take()).containsExactly(durable(1, 1), durable(2, 1));
  }

  @Test
  void theFlushTimerClosesTheOpenChunkButAStaleTimerDoesNothing() {
    ChunkPipeline p = pipeline(4, 1000);
    appendToA(p, 0, 1);
    long armedFor = outbox.timers.get(0);

    p.flushTimerFired(armedFor - 1);
    assertThat(outbox.writtenSeqs()).containsExactly(0L);
    p.flushTimerFired(armedFor);
    assertThat(outbox.writtenSeqs()).containsExactly(0L, 1L);

    p.written(1);
    assertThat(outbox.take()).isEmpty();
    p.written(0);
    assertThat(outbox.take()).containsExactly(durable(0, 0), durable(1, 1));
  }

  @Test
  void noMoreThanTheMaximumOfWritesRunAtOnceEvenForAFullChunk() {
    ChunkPipeline p = pipeline(1, 10);
    appendToA(p, 0, 1);
    p.flushTimerFired(outbox.timers.get(0));
    assertThat(outbox.writtenSeqs()).containsExactly(0L);

    p.written(0);

    assertThat(outbox.take()).containsExactly(durable(0, 0));
    assertThat(outbox.writtenSeqs()).containsExactly(0L, 1L);
  }

  @Test
  void anOlderEpochOfAStreamFailsWhenItsChunkClosesAndTheNewerOneIsWritten() {
    ChunkPipeline p = pipeline(4, 1000);
    p.append(append("other", 1, 0, 18));
    p.append(append("s", 3, 7, 18));
    p.append(append("s", 4, 0, 36));

    p.flushTimerFired(outbox.timers.get(0));

    assertThat(outbox.take())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.batchId()).isEqualTo(7);
              assertThat(((Channel.Failed) r).error().code()).isEqualTo(ErrorCode.STORAGE);
            });
    WalObject.Chunk chunk1 = writtenChunk(1);
    assertThat(chunk1.sections()).singleElement().extracting(StreamSection::epoch).isEqualTo(4L);
    assertThat(load.pendingBytes()).isEqualTo(18 + 36);
  }

  @Test
  void failingEverythingFailsTheWritesInFlightInChunkOrderThenTheOpenChunk() {
    ChunkPipeline p = pipeline(2, 10);
    appendToA(p, 0, 1, 2);
    p.written(1);
    S2Exception error = new S2Exception(ErrorCode.STORAGE, "gone");

    p.failAll(error);

    assertThat(outbox.take()).extracting(Channel.Result::batchId).containsExactly(0L, 1L, 2L);
    assertThat(load.pendingBytes()).isZero();
    p.written(0);
    assertThat(outbox.take()).isEmpty();
  }
}
