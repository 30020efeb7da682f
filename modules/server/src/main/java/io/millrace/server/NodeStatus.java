package io.millrace.server;

import io.millrace.engine.DamageReport;
import io.millrace.engine.DataPlane;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What this node knows about itself for health checks and metrics, one per actor system: whether it
 * has finished starting, its data plane (once started), whether its stores answer, and its cluster
 * membership. {@link MillraceServer} fills it in; {@code GET /health}, the management routes {@code
 * /health/ready} and {@code /metrics} read it.
 */
public final class NodeStatus implements Extension {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NodeStatus.class);
  private static final ExtensionId<NodeStatus> ID =
      new ExtensionId<>() {
        @Override
        public NodeStatus createExtension(ActorSystem<?> system) {
          return new NodeStatus(system);
        }
      };

  /** Member statuses reported by {@code millrace_cluster_members}, always all of them. */
  private static final List<String> STATUSES =
      List.of("Joining", "WeaklyUp", "Up", "Leaving", "Exiting", "Down");

  private static final Map<String, String> ENGINE_HELP =
      Map.ofEntries(
          Map.entry("millrace_appends_total", "Appends acknowledged by this node's data plane."),
          Map.entry(
              "millrace_append_rejections_total",
              "Appends rejected before writing (for example a failed match_seq_num or fencing)."),
          Map.entry("millrace_append_failures_total", "Appends that failed while writing."),
          Map.entry("millrace_appended_records_total", "Records appended."),
          Map.entry("millrace_appended_bytes_total", "Bytes of records appended."),
          Map.entry("millrace_chunk_writes_total", "WAL chunks written to the object store."),
          Map.entry("millrace_chunk_write_bytes_total", "Bytes of WAL chunks written."),
          Map.entry("millrace_chunk_write_failures_total", "WAL chunk writes that failed."),
          Map.entry(
              "millrace_chunk_write_nanos_total", "Time spent writing WAL chunks, in nanoseconds."),
          Map.entry(
              "millrace_chunk_write_nanos_max",
              "Longest WAL chunk write since the start, in nanoseconds."),
          Map.entry("millrace_channel_incarnations_total", "Channel incarnations started."),
          Map.entry("millrace_segment_flushes_total", "Segments flushed to the object store."),
          Map.entry("millrace_reads_total", "Read requests served."),
          Map.entry("millrace_read_records_total", "Records returned by reads."),
          Map.entry(
              "millrace_stream_activations_total", "Stream entities activated on this node."));

  private final ActorSystem<?> system;
  private final AtomicBoolean storesHealthy = new AtomicBoolean(true);
  private final java.util.concurrent.atomic.AtomicReference<List<String>> lastProbeReasons =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());
  private volatile boolean started;
  private volatile DataPlane data;
  private volatile DiskWatch disk;

  private NodeStatus(ActorSystem<?> system) {
    this.system = system;
  }

  /** The node status of {@code system}. */
  public static NodeStatus get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  /** The flag the store watcher keeps up to date. */
  AtomicBoolean storesHealthy() {
    return storesHealthy;
  }

  void dataPlane(DataPlane data) {
    this.data = data;
  }

  void watchDisk(DiskWatch disk) {
    this.disk = disk;
  }

  void started() {
    this.started = true;
  }

  /** This node's status as a cluster member ({@code Up}, {@code Joining}, ...). */
  public String memberStatus() {
    return Cluster.get(system).selfMember().status().toString();
  }

  /** Whether this node is ready now, and why not. */
  public Readiness readiness() {
    DataPlane d = data;
    Readiness r =
        Readiness.of(memberStatus(), started, d != null && d.isReady(), storesHealthy.get());
    DiskWatch w = disk;
    java.util.Optional<String> diskProblem = w == null ? java.util.Optional.empty() : w.problem();
    if (diskProblem.isEmpty()) {
      return r;
    }
    List<String> reasons = new java.util.ArrayList<>(r.reasons());
    reasons.add(diskProblem.get());
    return new Readiness(false, List.copyOf(reasons));
  }

  /**
   * What {@code GET /health} on the S2 port answers: not ready with the reasons, or ready and
   * degraded by the damage this node's data plane found (each damaged stream and channel, named).
   */
  public io.millrace.http.EdgeHealth edgeHealth() {
    Readiness r = readiness();
    if (!r.ready()) {
      return new io.millrace.http.EdgeHealth(false, r.reasons());
    }
    DataPlane d = data;
    List<String> problems = new java.util.ArrayList<>();
    if (d != null) {
      for (DamageReport.Entry e : d.damage().entries()) {
        problems.add(
            e.kind().name().toLowerCase(java.util.Locale.ROOT)
                + " "
                + e.subject()
                + " needs repair: "
                + e.detail());
      }
    }
    return new io.millrace.http.EdgeHealth(true, problems);
  }

  /**
   * Readiness as a probe of {@code /health/ready} sees it; logs the reasons once each time they
   * change (not on every probe).
   */
  Readiness probeReadiness() {
    Readiness r = readiness();
    List<String> before = lastProbeReasons.getAndSet(r.reasons());
    if (!before.equals(r.reasons())) {
      if (r.ready()) {
        log.info(
            "Node {} reports ready on /health/ready.", Cluster.get(system).selfMember().address());
      } else {
        log.info(
            "Node {} reports not ready on /health/ready: {}.",
            Cluster.get(system).selfMember().address(),
            String.join("; ", r.reasons()));
      }
    }
    return r;
  }

  /** The node's metrics in the Prometheus text format. */
  public String metricsText() {
    PrometheusText text = new PrometheusText();
    DataPlane d = data;
    if (d != null) {
      for (Map.Entry<String, Long> m : d.metrics().snapshot().entrySet()) {
        String help = ENGINE_HELP.getOrDefault(m.getKey(), "Millrace engine metric.");
        if (m.getKey().endsWith("_total")) {
          text.counter(m.getKey(), help, m.getValue());
        } else {
          text.gauge(m.getKey(), help, m.getValue());
        }
      }
    }
    if (d != null) {
      Map<Map<String, String>, Double> damaged = new LinkedHashMap<>();
      for (DamageReport.Kind k : DamageReport.Kind.values()) {
        damaged.put(
            Map.of("kind", k.name().toLowerCase(java.util.Locale.ROOT)),
            (double) d.damage().count(k));
      }
      text.gauge(
          "millrace_damaged",
          "Channels, streams and segments this node found damaged (missing or corrupt data under"
              + " acknowledged records); see GET /health and millrace verify.",
          damaged);
    }
    DiskWatch w = disk;
    if (w != null) {
      text.gauge(
          "millrace_data_dir_usable_bytes",
          "Usable bytes on the data directory's disk (-1: unreadable).",
          w.usableBytes());
    }
    Readiness readiness = readiness();
    text.gauge(
        "millrace_node_ready",
        "1 when this node is ready to serve clients.",
        bit(readiness.ready()));
    text.gauge(
        "millrace_stores_healthy",
        "1 while the metadata store and the object store answer.",
        bit(storesHealthy.get()));
    clusterGauges(text);
    jvmGauges(text);
    return text.render();
  }

  private void clusterGauges(PrometheusText text) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    Map<String, Integer> byStatus = new LinkedHashMap<>();
    STATUSES.forEach(s -> byStatus.put(s, 0));
    for (Member m : state.getMembers()) {
      byStatus.merge(m.status().toString(), 1, Integer::sum);
    }
    Map<Map<String, String>, Double> members = new LinkedHashMap<>();
    byStatus.forEach((status, n) -> members.put(Map.of("status", status), (double) n));
    text.gauge("millrace_cluster_members", "Cluster members this node sees, by status.", members);
    text.gauge(
        "millrace_cluster_unreachable_members",
        "Members this node's failure detector marks unreachable.",
        state.getUnreachable().size());
    text.gauge(
        "millrace_cluster_self_up",
        "1 when this node is an Up member of the cluster.",
        bit("Up".equals(memberStatus())));
    text.gauge(
        "millrace_cluster_leader",
        "1 when this node is the cluster leader.",
        bit(cluster.selfMember().address().equals(state.getLeader())));
  }

  private static void jvmGauges(PrometheusText text) {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    text.gauge("jvm_memory_heap_used_bytes", "Heap memory in use.", heap.getUsed());
    text.gauge("jvm_memory_heap_committed_bytes", "Heap memory committed.", heap.getCommitted());
    text.gauge(
        "jvm_memory_heap_max_bytes",
        "Largest heap the JVM may use (-1: unbounded).",
        heap.getMax());
    text.gauge(
        "jvm_threads_live",
        "Live JVM threads.",
        ManagementFactory.getThreadMXBean().getThreadCount());
    Map<Map<String, String>, Double> collections = new LinkedHashMap<>();
    Map<Map<String, String>, Double> seconds = new LinkedHashMap<>();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      Map<String, String> label = Map.of("gc", gc.getName());
      collections.put(label, (double) Math.max(0, gc.getCollectionCount()));
      seconds.put(label, Math.max(0, gc.getCollectionTime()) / 1000.0);
    }
    text.counter("jvm_gc_collections_total", "Garbage collections, by collector.", collections);
    text.counter(
        "jvm_gc_collection_seconds_total",
        "Time spent in garbage collection, by collector.",
        seconds);
    text.gauge(
        "process_uptime_seconds",
        "Seconds since the JVM started.",
        ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
  }

  private static double bit(boolean b) {
    return b ? 1 : 0;
  }
}
