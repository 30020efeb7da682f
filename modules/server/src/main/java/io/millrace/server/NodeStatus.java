package io.millrace.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.millrace.engine.DamageReport;
import io.millrace.engine.DataPlane;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
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

  private final ActorSystem<?> system;
  private final AtomicBoolean storesHealthy = new AtomicBoolean(true);
  private final java.util.concurrent.atomic.AtomicReference<List<String>> lastProbeReasons =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());
  private volatile boolean started;
  private volatile DataPlane data;
  private volatile PrometheusMeterRegistry registry;
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

  /**
   * Registers the node's own gauges (readiness, store health, cluster membership, JVM figures) in
   * {@code registry}, whose scrape {@link #metricsText} then serves.
   */
  void bindTo(PrometheusMeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("millrace.node.ready", this, n -> bit(n.readiness().ready()))
        .description("1 when this node is ready to serve clients.")
        .register(registry);
    Gauge.builder("millrace.stores.healthy", storesHealthy, h -> bit(h.get()))
        .description("1 while the metadata store and the object store answer.")
        .register(registry);
    for (String status : STATUSES) {
      Gauge.builder("millrace.cluster.members", this, n -> n.membersWithStatus(status))
          .description("Cluster members this node sees, by status.")
          .tag("status", status)
          .register(registry);
    }
    Gauge.builder(
            "millrace.cluster.unreachable.members",
            this,
            n -> Cluster.get(n.system).state().getUnreachable().size())
        .description("Members this node's failure detector marks unreachable.")
        .register(registry);
    Gauge.builder("millrace.cluster.self.up", this, n -> bit("Up".equals(n.memberStatus())))
        .description("1 when this node is an Up member of the cluster.")
        .register(registry);
    Gauge.builder(
            "millrace.cluster.leader",
            this,
            n -> {
              Cluster cluster = Cluster.get(n.system);
              return bit(cluster.selfMember().address().equals(cluster.state().getLeader()));
            })
        .description("1 when this node is the cluster leader.")
        .register(registry);
    for (DamageReport.Kind k : DamageReport.Kind.values()) {
      Gauge.builder(
              "millrace.damaged",
              this,
              n -> {
                DataPlane d = n.data;
                return d == null ? 0 : d.damage().count(k);
              })
          .description(
              "Channels, streams and segments this node found damaged (missing or corrupt data"
                  + " under acknowledged records); see GET /health and millrace verify.")
          .tag("kind", k.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry);
    }
    Gauge.builder(
            "millrace.data.dir.usable",
            this,
            n -> {
              DiskWatch w = n.disk;
              return w == null ? Double.NaN : w.usableBytes();
            })
        .description("Usable bytes on the data directory's disk (-1: unreadable).")
        .baseUnit("bytes")
        .register(registry);
    jvmGauges(registry);
  }

  private double membersWithStatus(String status) {
    int n = 0;
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.status().toString().equals(status)) {
        n++;
      }
    }
    return n;
  }

  /** The node's metrics in the Prometheus text format 0.0.4 (empty before the node starts). */
  public String metricsText() {
    PrometheusMeterRegistry r = registry;
    return r == null ? "" : r.scrape();
  }

  /**
   * The JVM figures under the names the node has always used ({@code jvm_memory_heap_*_bytes},
   * {@code jvm_threads_live}, {@code jvm_gc_collections_total}, {@code
   * jvm_gc_collection_seconds_total}), plus Micrometer's JVM and process binders.
   */
  private static void jvmGauges(MeterRegistry registry) {
    var memory = ManagementFactory.getMemoryMXBean();
    Gauge.builder("jvm.memory.heap.used", memory, m -> m.getHeapMemoryUsage().getUsed())
        .description("Heap memory in use.")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("jvm.memory.heap.committed", memory, m -> m.getHeapMemoryUsage().getCommitted())
        .description("Heap memory committed.")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("jvm.memory.heap.max", memory, m -> m.getHeapMemoryUsage().getMax())
        .description("Largest heap the JVM may use (-1: unbounded).")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("jvm.threads.live", ManagementFactory.getThreadMXBean(), t -> t.getThreadCount())
        .description("Live JVM threads.")
        .register(registry);
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionCounter.builder("jvm.gc.collections", gc, g -> Math.max(0, g.getCollectionCount()))
          .description("Garbage collections, by collector.")
          .tag("gc", gc.getName())
          .register(registry);
      FunctionCounter.builder(
              "jvm.gc.collection", gc, g -> Math.max(0, g.getCollectionTime()) / 1000.0)
          .description("Time spent in garbage collection, by collector.")
          .baseUnit("seconds")
          .tag("gc", gc.getName())
          .register(registry);
    }
    new UptimeMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
  }

  private static double bit(boolean b) {
    return b ? 1 : 0;
  }
}
