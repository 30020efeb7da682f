package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.core.stream.StreamSequencer;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamStateRecord;
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

  private static List<SequencedRecord> records(int from, int to) {
    return records(to).subList(from, to);
  }

  private SegmentFlusher.Result flushAt(SegmentFlusher f, List<SequencedRecord> rs, long epoch) {
    SegmentFlusher.Result r = f.start(rs, durableAfter(rs), epoch).toCompletableFuture().join();
    f.finished(r);
    return r;
  }

  @Test
  void aReplacedOwnersSegmentOfTheSameFirstRecordsIsAdoptedAndTheRestFlushedNext() {
    // The replaced owner (epoch 1) flushes records 0..2 after the new owner (epoch 2) recovered
    // them with 3..4 as unflushed records.
    SegmentFlusher replaced = new SegmentFlusher(STREAM, objects, metadata);
    SegmentFlusher.Result old = flushAt(replaced, records(3), 1);
    assertThat(old).isInstanceOf(SegmentFlusher.Flushed.class);

    SegmentFlusher.Result adopted = flushAt(flusher, records(5), 2);

    assertThat(adopted).isInstanceOf(SegmentFlusher.Adopted.class);
    assertThat(adopted.segment()).isEqualTo(old.segment());
    // The state is still the replaced owner's (it holds the stream as of record 2).
    StreamStateRecord state =
        metadata.getStreamState(STREAM).toCompletableFuture().join().orElseThrow();
    assertThat(state.epoch()).isEqualTo(1);
    assertThat(state.flushedNextSeqNum()).isEqualTo(3);
    assertThat(state.tailSeqNum()).isEqualTo(3);

    SegmentFlusher.Result rest = flushAt(flusher, records(3, 5), 2);

    assertThat(rest).isInstanceOf(SegmentFlusher.Flushed.class);
    List<SegmentRecord> rows = metadata.listSegments(STREAM).toCompletableFuture().join();
    assertThat(rows).extracting(SegmentRecord::firstSeqNum).containsExactly(0L, 3L);
    assertThat(rows).extracting(SegmentRecord::lastSeqNum).containsExactly(2L, 4L);
    List<SequencedRecord> read = new ArrayList<>();
    for (SegmentRecord row : rows) {
      read.addAll(
          SegmentCodec.decode(
              objects.get(row.objectKey()).toCompletableFuture().join().orElseThrow()));
    }
    assertThat(read).isEqualTo(records(5));
    StreamStateRecord after =
        metadata.getStreamState(STREAM).toCompletableFuture().join().orElseThrow();
    assertThat(after.epoch()).isEqualTo(2);
    assertThat(after.flushedNextSeqNum()).isEqualTo(5);
    assertThat(after.tailSeqNum()).isEqualTo(5);
    // The replaced owner can no longer move the stream state.
    SegmentFlusher.Result stale = flushAt(replaced, records(3, 5), 1);
    assertThat(stale).isInstanceOf(SegmentFlusher.Refused.class);
    assertThat(metadata.getStreamState(STREAM).toCompletableFuture().join().orElseThrow().epoch())
        .isEqualTo(2);
  }

  @Test
  void aRowOfTheSameRangeIsAdoptedAsTheWholeFlush() {
    SegmentFlusher replaced = new SegmentFlusher(STREAM, objects, metadata);
    SegmentRecord theirs = flushAt(replaced, records(3), 1).segment();
    // The same range but another object name, as if written by another version.
    SegmentRecord renamed =
        new SegmentRecord(STREAM, 0, 2, 1000, 1002, "segments/renamed", theirs.bytes());
    metadata.deleteSegment(STREAM, 0).toCompletableFuture().join();
    objects
        .putIfAbsent("segments/renamed", SegmentCodec.encode(STREAM, records(3)))
        .toCompletableFuture()
        .join();
    metadata.addSegment(renamed).toCompletableFuture().join();

    SegmentFlusher.Result r = flushAt(flusher, records(3), 2);

    assertThat(r).isInstanceOf(SegmentFlusher.Adopted.class);
    assertThat(r.segment()).isEqualTo(renamed);
    assertThat(metadata.listSegments(STREAM).toCompletableFuture().join()).containsExactly(renamed);
  }

  @Test
  void aRowAtTheSameSeqNumHoldingOtherRecordsIsRefused() {
    List<SequencedRecord> other = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      other.add(new SequencedRecord(i, 1000 + i, List.of(), new byte[] {9, (byte) i}));
    }
    objects
        .putIfAbsent("segments/other", SegmentCodec.encode(STREAM, other))
        .toCompletableFuture()
        .join();
    SegmentRecord theirs = new SegmentRecord(STREAM, 0, 1, 1000, 1001, "segments/other", 10);
    metadata.addSegment(theirs).toCompletableFuture().join();

    SegmentFlusher.Result r = flushAt(flusher, records(4), 2);

    assertThat(r).isInstanceOf(SegmentFlusher.Refused.class);
    assertThat(metadata.listSegments(STREAM).toCompletableFuture().join()).containsExactly(theirs);
    assertThat(metadata.getStreamState(STREAM).toCompletableFuture().join()).isEmpty();
  }
}
