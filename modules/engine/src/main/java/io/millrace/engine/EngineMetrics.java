package io.millrace.engine;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Counters and latency histograms of the data plane, one instance per {@link DataPlane}, registered
 * in a Micrometer {@link MeterRegistry} (the server's Prometheus registry, scraped at {@code
 * /metrics}). The counters are plain {@link LongAdder}s on the data path, exposed as function
 * counters; the histograms are Micrometer timers with a bounded bucket set (1 ms to 30 s). Names as
 * Prometheus sees them are listed in docs/configuration.md ("Prometheus metrics").
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
  public final LongAdder streamletRotations = new LongAdder();
  public final LongAdder reads = new LongAdder();
  final LongAdder readRecords = new LongAdder();
  public final LongAdder activations = new LongAdder();
  // Planned moves and failover (docs/adr/0011, 0012).
  public final LongAdder undeliveredRequests = new LongAdder();
  public final LongAdder asksFailedOnMemberLoss = new LongAdder();
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

  private final Timer appendAck;
  private final Timer read;
  private final Timer chunkWrite;
  private final Timer segmentFlush;

  /** Stream entities alive on this node (loading, active or stopping); set by the data plane. */
  private volatile IntSupplier liveEntities = () -> 0;

  /** Metrics kept in a registry of their own (tests, tools). */
  public EngineMetrics() {
    this(new SimpleMeterRegistry());
  }

  public EngineMetrics(MeterRegistry registry) {
    counter(
        registry, "millrace.appends", "Appends acknowledged by this node's data plane.", appends);
    counter(
        registry,
        "millrace.append.rejections",
        "Appends rejected before writing (for example a failed match_seq_num or fencing).",
        appendRejections);
    counter(
        registry, "millrace.append.failures", "Appends that failed while writing.", appendFailures);
    counter(registry, "millrace.appended.records", "Records appended.", appendedRecords);
    counter(registry, "millrace.appended.bytes", "Bytes of records appended.", appendedBytes);
    counter(
        registry, "millrace.chunk.writes", "WAL chunks written to the object store.", chunkWrites);
    counter(
        registry, "millrace.chunk.write.bytes", "Bytes of WAL chunks written.", chunkWriteBytes);
    counter(
        registry,
        "millrace.chunk.write.failures",
        "WAL chunk writes that failed.",
        chunkWriteFailures);
    counter(
        registry,
        "millrace.chunk.write.nanos",
        "Time spent writing WAL chunks, in nanoseconds (see millrace_chunk_write_seconds).",
        chunkWriteNanos);
    Gauge.builder("millrace.chunk.write.nanos.max", chunkWriteMaxNanos, LongAccumulator::get)
        .description("Longest WAL chunk write since the start, in nanoseconds.")
        .register(registry);
    counter(
        registry,
        "millrace.channel.incarnations",
        "Channel incarnations started.",
        channelIncarnations);
    counter(
        registry,
        "millrace.segment.flushes",
        "Segments flushed to the object store.",
        segmentFlushes);
    counter(
        registry,
        "millrace.streamlet.rotations",
        "Streamlets sealed and replaced after a segment flush, once they held the rotation bytes.",
        streamletRotations);
    counter(registry, "millrace.reads", "Read requests served.", reads);
    counter(
        registry,
        "millrace.undelivered.requests",
        "Stream requests this node could not deliver to an entity (a stream moving between"
            + " nodes), answered with a retryable 503 at once.",
        undeliveredRequests);
    counter(
        registry,
        "millrace.asks.failed.on.member.loss",
        "Asks to stream entities on other nodes failed early (retryably) after a cluster member"
            + " was lost.",
        asksFailedOnMemberLoss);
    counter(registry, "millrace.read.records", "Records returned by reads.", readRecords);
    counter(
        registry,
        "millrace.stream.activations",
        "Stream entities activated on this node.",
        activations);
    Gauge.builder("millrace.stream.entities", this, m -> m.liveEntities.getAsInt())
        .description(
            "Stream entities alive on this node; an idle stream passivates and leaves this count.")
        .register(registry);
    counter(
        registry,
        "millrace.lifecycle.deleted.objects",
        "Objects (segments, WAL chunks, seals) deleted by lifecycle sweeps.",
        lifecycleDeletedObjects);
    counter(
        registry,
        "millrace.lifecycle.deleted.bytes",
        "Bytes of objects deleted by lifecycle sweeps.",
        lifecycleDeletedBytes);
    counter(registry, "millrace.lifecycle.sweeps", "Lifecycle sweeps completed.", lifecycleSweeps);
    counter(
        registry,
        "millrace.lifecycle.sweep.failures",
        "Lifecycle sweeps that failed (the next one finishes their work).",
        lifecycleSweepFailures);
    counter(
        registry,
        "millrace.lifecycle.empty.streams.deleted",
        "Streams deleted by delete-on-empty.",
        lifecycleEmptyStreamsDeleted);
    Gauge.builder(
            "millrace.lifecycle.oldest.uncollected.chunk.age.seconds",
            lifecycleOldestUncollectedChunkAgeMillis,
            a -> a.get() / 1000.0)
        .description("Age of the oldest WAL chunk the last sweep could not collect yet; 0 if none.")
        .register(registry);
    Gauge.builder("millrace.lifecycle.sweep.lag.seconds", this, m -> m.sweepLagSeconds())
        .description("Seconds since the start of the last completed lifecycle sweep; 0 before it.")
        .register(registry);
    appendAck =
        histogram(
            registry,
            "millrace.append.ack",
            "Append latency from the request reaching the data plane to its ack (acked appends).");
    read =
        histogram(
            registry,
            "millrace.read",
            "Latency of reads that do not wait at the tail (unary and session reads).");
    chunkWrite = histogram(registry, "millrace.chunk.write", "WAL chunk write latency.");
    segmentFlush =
        histogram(
            registry,
            "millrace.segment.flush",
            "Segment flush latency: object write and index rows (every attempt).");
  }

  private static void counter(MeterRegistry registry, String name, String help, LongAdder adder) {
    FunctionCounter.builder(name, adder, LongAdder::sum).description(help).register(registry);
  }

  /** A timer published as a Prometheus histogram with buckets from 1 ms to 30 s. */
  static Timer histogram(MeterRegistry registry, String name, String help) {
    return Timer.builder(name)
        .description(help)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  /** Counts {@code live} (the node's map of live stream entities) as the entity gauge. */
  void trackLiveEntities(Map<?, ?> live) {
    this.liveEntities = live::size;
  }

  public void recordChunkWrite(long nanos, long bytes) {
    chunkWrites.increment();
    chunkWriteBytes.add(bytes);
    chunkWriteNanos.add(nanos);
    chunkWriteMaxNanos.accumulate(nanos);
    chunkWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** An acknowledged append, {@code nanos} after it reached the data plane. */
  public void recordAppendAck(long nanos) {
    appendAck.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A read that did not wait at the tail. */
  public void recordRead(long nanos) {
    read.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One segment flush attempt, successful or not. */
  public void recordSegmentFlush(long nanos) {
    segmentFlush.record(nanos, TimeUnit.NANOSECONDS);
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
    m.put("millrace_streamlet_rotations_total", streamletRotations.sum());
    m.put("millrace_reads_total", reads.sum());
    m.put("millrace_read_records_total", readRecords.sum());
    m.put("millrace_stream_activations_total", activations.sum());
    m.put("millrace_stream_entities", (long) liveEntities.getAsInt());
    m.put("millrace_lifecycle_deleted_objects_total", lifecycleDeletedObjects.sum());
    m.put("millrace_lifecycle_deleted_bytes_total", lifecycleDeletedBytes.sum());
    m.put("millrace_lifecycle_sweeps_total", lifecycleSweeps.sum());
    m.put("millrace_lifecycle_sweep_failures_total", lifecycleSweepFailures.sum());
    m.put("millrace_lifecycle_empty_streams_deleted_total", lifecycleEmptyStreamsDeleted.sum());
    m.put(
        "millrace_lifecycle_oldest_uncollected_chunk_age_seconds",
        lifecycleOldestUncollectedChunkAgeMillis.get() / 1000);
    m.put("millrace_lifecycle_sweep_lag_seconds", (long) sweepLagSeconds());
    return m;
  }

  private double sweepLagSeconds() {
    long lastSweep = lifecycleLastSweepStartMillis.get();
    return lastSweep == 0 ? 0 : Math.max(0, System.currentTimeMillis() - lastSweep) / 1000;
  }
}
