package io.millrace.engine.wal;

import com.typesafe.config.ConfigFactory;
import io.millrace.core.config.StorageClass;
import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.TestClock;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;

/**
 * One actor test kit with an in-memory object store and an in-memory SQLite metadata store, for
 * tests that spawn {@link Channel} actors directly (no cluster, no data plane).
 */
final class ChannelFixture implements AutoCloseable {
  final ActorTestKit testKit;
  final InMemoryObjectStore objects;
  final MetadataStore metadata;

  ChannelFixture(String systemName) {
    testKit = ActorTestKit.create(systemName);
    objects = new InMemoryObjectStore();
    Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
    metadata = SqliteMetadataStore.inMemory();
  }

  /** Spawns an express channel of node "test-node" with {@code overrides} over the defaults. */
  ActorRef<Channel.Command> channel(String overrides, ChannelLoad load) {
    EngineSettings settings = settings(overrides);
    return testKit.spawn(
        Channel.create(
            StorageClass.EXPRESS,
            new ChannelDeps(
                "test-node", objects, metadata, settings, new EngineMetrics(), new TestClock(1000)),
            load,
            sc -> {}));
  }

  /** The engine settings of reference.conf with {@code overrides} (HOCON) over them. */
  static EngineSettings settings(String overrides) {
    return EngineSettings.fromConfig(
        ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()));
  }

  /** Registers {@code stream} with channel {@code ch}; returns the channel's id. */
  String register(ActorRef<Channel.Command> ch, String stream) {
    TestProbe<Channel.Registered> reg = testKit.createTestProbe();
    ch.tell(new Channel.Register(stream, reg.getRef()));
    return reg.receiveMessage().channelId();
  }

  /** {@code n} records of 10 zero bytes with seq nums from {@code first}, timestamp 1. */
  static List<SequencedRecord> records(long first, int n) {
    return LongStream.range(first, first + n)
        .mapToObj(i -> new SequencedRecord(i, 1, List.of(), new byte[10]))
        .toList();
  }

  /** Clears injected faults, stops the actor system, then closes the metadata store. */
  @Override
  public void close() {
    objects.clearFaults();
    testKit.shutdownTestKit();
    metadata.close();
  }
}
