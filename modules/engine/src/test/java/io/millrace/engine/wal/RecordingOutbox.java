package io.millrace.engine.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.engine.wal.ChunkPipeline.ChunkWrite;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox of a {@link ChunkPipeline} under test: it keeps the replies, the chunks handed out for
 * writing and the flush timers armed, in order.
 */
final class RecordingOutbox implements ChunkPipeline.Outbox {
  static final String CHANNEL = "test-channel";

  final List<Channel.Result> replies = new ArrayList<>();
  final List<ChunkWrite> writes = new ArrayList<>();
  final List<Long> timers = new ArrayList<>();

  @Override
  public void reply(Channel.Append append, Channel.Result result) {
    assertThat(result.batchId()).isEqualTo(append.batchId());
    replies.add(result);
  }

  @Override
  public void write(ChunkWrite chunk) {
    writes.add(chunk);
  }

  @Override
  public void armFlushTimer(long openId) {
    timers.add(openId);
  }

  /** An append of {@code bytes} bytes of stream {@code stream}; nobody to reply to (the outbox). */
  static Channel.Append append(String stream, long epoch, long batchId, long bytes) {
    return new Channel.Append(
        stream, epoch, batchId, ChannelFixture.records(batchId, 1), bytes, null);
  }

  static Channel.Durable durable(long batchId, long chunkSeq) {
    return new Channel.Durable(CHANNEL, batchId, chunkSeq);
  }

  /** The replies taken so far, which are then forgotten. */
  List<Channel.Result> take() {
    List<Channel.Result> taken = List.copyOf(replies);
    replies.clear();
    return taken;
  }

  /** The seqs of the chunks handed out for writing. */
  List<Long> writtenSeqs() {
    return writes.stream().map(w -> w.seq).toList();
  }
}
