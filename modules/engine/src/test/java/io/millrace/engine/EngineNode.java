package io.millrace.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.awaitility.Awaitility;

/**
 * One test node: an ActorSystem that is a one-node cluster (self-joined) with a DataPlane over the
 * given stores. {@link #crash()} drops it without a graceful stop.
 */
final class EngineNode implements AutoCloseable {
  final ActorTestKit testKit;
  final DataPlane dataPlane;

  EngineNode(
      String overrides,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      Clock clock) {
    this(overrides, objects, metadata, resolver, clock, WalHorizon.of(metadata));
  }

  EngineNode(
      String overrides,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      Clock clock,
      WalHorizon horizon) {
    this(overrides, objects, metadata, resolver, clock, horizon, true);
  }

  /**
   * A node whose data plane hosts shards at once, or (with {@code hostShards} false) only after
   * {@code dataPlane.joinSharding()}, as a server does once its ports are bound.
   */
  EngineNode(
      String overrides,
      ObjectStore objects,
      MetadataStore metadata,
      StreamResolver resolver,
      Clock clock,
      WalHorizon horizon,
      boolean hostShards) {
    Config config =
        ConfigFactory.parseString(
                "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                    + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                    + "pekko.coordinated-shutdown.exit-jvm = off\n"
                    + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off\n"
                    + "pekko.cluster.run-coordinated-shutdown-when-down = off\n"
                    + "pekko.loglevel = WARNING\n"
                    + "millrace.engine.channels.per-storage-class.express = 1\n"
                    + "millrace.engine.channels.per-storage-class.standard = 1\n"
                    + "millrace.engine.ask-timeout = 10 s\n"
                    + overrides)
            .withFallback(ConfigFactory.load());
    testKit = ActorTestKit.create("engine", config);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> cluster.selfMember().status() == MemberStatus.up());
    DataPlane started =
        DataPlane.startWithoutShards(
            testKit.system(),
            objects,
            metadata,
            resolver,
            EngineSettings.fromConfig(testKit.system().settings().config()),
            clock,
            horizon,
            new io.millrace.engine.metering.UsageAggregator(clock, "test-node"),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    dataPlane = hostShards ? started.joinSharding() : started;
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(dataPlane::channelsReady);
  }

  /** Stops the node without a graceful data-plane stop (a crash, as far as the stores can tell). */
  void crash() {
    testKit.shutdownTestKit();
  }

  @Override
  public void close() {
    if (!testKit.system().whenTerminated().isCompleted()) {
      testKit.shutdownTestKit();
    }
  }
}
