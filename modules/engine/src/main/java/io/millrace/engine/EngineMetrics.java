package io.millrace.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and timers of the data plane, one instance per {@link DataPlane}. The server can expose
 * {@link #snapshot()} (for example as Prometheus text at {@code /metrics}).
 */
public final class EngineMetrics {
  public final LongAdder appends = new LongAdder();
  public final LongAdder appendRejections = new LongAdder();
  public final LongAdder appendFailures = new LongAdder();
  public final LongAdder appendedRecords = new LongAdder();
  public final LongAdder appendedBytes = new LongAdder();
  final LongAdder chunkWrites = new LongAdder();
  final LongAdder chunkWriteBytes = new LongAdder();
  public final LongAdder chunkWriteFailures = new LongAdder();
  final LongAdder chunkWriteNanos = new LongAdder();
  final LongAccumulator chunkWriteMaxNanos = new LongAccumulator(Math::max, 0);
  public final LongAdder channelIncarnations = new LongAdder();
  public final LongAdder segmentFlushes = new LongAdder();
  public final LongAdder reads = new LongAdder();
  final LongAdder readRecords = new LongAdder();
  public final LongAdder activations = new LongAdder();
  // Lifecycle sweeps (issue 9): on the node that runs the sweeper (the singleton's node).
  public final LongAdder lifecycleDeletedObjects = new LongAdder();
  public final LongAdder lifecycleDeletedBytes = new LongAdder();
  public final LongAdder lifecycleSweeps = new LongAdder();
  public final LongAdder lifecycleSweepFailures = new LongAdder();
  public final LongAdder lifecycleEmptyStreamsDeleted = new LongAdder();

  /** Age (ms) of the oldest WAL chunk the last sweep could not collect yet; 0 if none. */
  public final AtomicLong lifecycleOldestUncollectedChunkAgeMillis = new AtomicLong();

  /** Wall-clock start (ms) of the last sweep that completed; 0 before the first. */
  public final AtomicLong lifecycleLastSweepStartMillis = new AtomicLong();

  public void recordChunkWrite(long nanos, long bytes) {
    chunkWrites.increment();
    chunkWriteBytes.add(bytes);
    chunkWriteNanos.add(nanos);
    chunkWriteMaxNanos.accumulate(nanos);
  }

  /** All counters by name (timers in nanoseconds: total and max). */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("millrace_appends_total", appends.sum());
    m.put("millrace_append_rejections_total", appendRejections.sum());
    m.put("millrace_append_failures_total", appendFailures.sum());
    m.put("millrace_appended_records_total", appendedRecords.sum());
    m.put("millrace_appended_bytes_total", appendedBytes.sum());
    m.put("millrace_chunk_writes_total", chunkWrites.sum());
    m.put("millrace_chunk_write_bytes_total", chunkWriteBytes.sum());
    m.put("millrace_chunk_write_failures_total", chunkWriteFailures.sum());
    m.put("millrace_chunk_write_nanos_total", chunkWriteNanos.sum());
    m.put("millrace_chunk_write_nanos_max", chunkWriteMaxNanos.get());
    m.put("millrace_channel_incarnations_total", channelIncarnations.sum());
    m.put("millrace_segment_flushes_total", segmentFlushes.sum());
    m.put("millrace_reads_total", reads.sum());
    m.put("millrace_read_records_total", readRecords.sum());
    m.put("millrace_stream_activations_total", activations.sum());
    m.put("millrace_lifecycle_deleted_objects_total", lifecycleDeletedObjects.sum());
    m.put("millrace_lifecycle_deleted_bytes_total", lifecycleDeletedBytes.sum());
    m.put("millrace_lifecycle_sweeps_total", lifecycleSweeps.sum());
    m.put("millrace_lifecycle_sweep_failures_total", lifecycleSweepFailures.sum());
    m.put("millrace_lifecycle_empty_streams_deleted_total", lifecycleEmptyStreamsDeleted.sum());
    m.put(
        "millrace_lifecycle_oldest_uncollected_chunk_age_seconds",
        lifecycleOldestUncollectedChunkAgeMillis.get() / 1000);
    long lastSweep = lifecycleLastSweepStartMillis.get();
    m.put(
        "millrace_lifecycle_sweep_lag_seconds",
        lastSweep == 0 ? 0 : Math.max(0, System.currentTimeMillis() - lastSweep) / 1000);
    return m;
  }
}
