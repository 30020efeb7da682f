package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SegmentFlusherTest {
  private static final String STREAM = "stream-1";
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final MetadataStore metadata = SqliteMetadataStore.inMemory();
  private final SegmentFlusher flusher = new SegmentFlusher(STREAM, objects, metadata);

  @AfterEach
  void close() throws Exception {
    metadata.close();
  }

  private static List<SequencedRecord> records(int count) {
    List<SequencedRecord> rs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      rs.add(new SequencedRecord(i, 1000 + i, List.of(), new byte[] {(byte) i}));
    }
    return rs;
  }

  private static StreamSequencer.State durableAfter(List<SequencedRecord> rs) {
    SequencedRecord last = rs.get(rs.size() - 1);
    return new StreamSequencer.State(last.seqNum() + 1, last.timestamp(), "", 0);
  }

  private SegmentFlusher.Result flush(List<SequencedRecord> rs) {
    SegmentFlusher.Result r = flusher.start(rs, durableAfter(rs), 1).toCompletableFuture().join();
    flusher.finished(r);
    return r;
  }

  @Test
  void aFlushWritesTheSegmentObjectAndRowAndReportsFlushed() {
    SegmentFlusher.Result r = flush(records(3));

    assertThat(r).isInstanceOf(SegmentFlusher.Flushed.class);
    SegmentRecord seg = r.segment();
    assertThat(seg.firstSeqNum()).isZero();
    assertThat(seg.lastSeqNum()).isEqualTo(2);
    assertThat(metadata.listSegments(STREAM).toCompletableFuture().join()).containsExactly(seg);
    byte[] data = objects.get(seg.objectKey()).toCompletableFuture().join().orElseThrow();
    assertThat(SegmentCodec.decode(data)).isEqualTo(records(3));
    assertThat(flusher.inFlight()).isFalse();
  }

  @Test
  void aFailedFlushIsReportedAndRetriedExactlyAsItWasBeforeNewerRecords() {
    objects.failPuts(k -> true, 1, () -> new RuntimeException("object store down"));

    SegmentFlusher.Result failed = flush(records(2));

    assertThat(failed).isInstanceOf(SegmentFlusher.Failed.class);
    assertThat(((SegmentFlusher.Failed) failed).error()).hasMessageContaining("object store down");

    SegmentFlusher.Result retried = flush(records(5));

    assertThat(retried).isInstanceOf(SegmentFlusher.Flushed.class);
    assertThat(retried.segment()).isEqualTo(failed.segment());
    assertThat(retried.segment().lastSeqNum()).isEqualTo(1);
  }

  @Test
  void aSegmentRowOfAnotherOwnerAtTheSameSeqNumIsReportedAsRefused() {
    SegmentRecord theirs = new SegmentRecord(STREAM, 0, 7, 1000, 1007, "segments/other", 99);
    assertThat(metadata.addSegment(theirs).toCompletableFuture().join()).isTrue();

    SegmentFlusher.Result r = flush(records(2));

    assertThat(r).isInstanceOf(SegmentFlusher.Refused.class);
    assertThat(((SegmentFlusher.Refused) r).write()).startsWith("adding segment ");
  }
}
