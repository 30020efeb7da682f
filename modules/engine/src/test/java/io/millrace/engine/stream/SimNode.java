package io.millrace.engine.stream;

import io.millrace.engine.DamageReport;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.sim.Simulator;
import io.millrace.engine.wal.SimChannel;
import io.millrace.engine.wal.WalChunkCache;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One simulated node incarnation: its channels (a fixed number of slots; a dead incarnation is
 * replaced by a new one, as the channel supervisor does), its active stream entities, and its
 * node-wide WAL chunk cache. Crashing it ({@link #crash}) makes every event it owns disappear: what
 * it held in memory is lost, and the stores keep only what was applied.
 */
final class SimNode implements Simulator.Owner {
  final String name;
  final Simulator sim;
  final ObjectStore objects;
  final MetadataStore metadata;
  final EngineSettings settings;
  final SimChecks checks;
  final WalChunkCache chunks;
  final DamageReport damage = new DamageReport();
  private final SimChannel[] channels;
  private final Map<String, SimStream> streams = new LinkedHashMap<>();
  private boolean alive = true;
  private int nextChannel;
  private int nextIncarnation;

  SimNode(
      String name,
      Simulator sim,
      ObjectStore objects,
      MetadataStore metadata,
      EngineSettings settings,
      int channelCount,
      SimChecks checks) {
    this.name = name;
    this.sim = sim;
    this.objects = objects;
    this.metadata = metadata;
    this.settings = settings;
    this.checks = checks;
    this.chunks = new WalChunkCache(objects, 4L << 20);
    this.channels = new SimChannel[channelCount];
    for (int i = 0; i < channelCount; i++) {
      startChannel(i);
    }
  }

  @Override
  public boolean alive() {
    return alive;
  }

  /** The node crashes: nothing it holds survives, none of its events runs any more. */
  void crash() {
    alive = false;
  }

  private void startChannel(int slot) {
    String id = name + "-ch" + slot + "-" + (nextChannel++);
    SimChannel ch =
        new SimChannel(
            sim,
            this,
            id,
            objects,
            metadata,
            settings,
            dead -> sim.schedule(sim.delay(20), this, () -> startChannel(slot)));
    channels[slot] = ch;
    ch.start();
  }

  /** A channel for a new streamlet: the one of two random slots with the lower load. */
  void acquireChannel(Consumer<SimChannel> assigned) {
    SimChannel a = channels[sim.random().nextInt(channels.length)];
    SimChannel b = channels[sim.random().nextInt(channels.length)];
    SimChannel pick =
        a.load().isDead()
            ? b
            : b.load().isDead() ? a : a.load().streams() <= b.load().streams() ? a : b;
    sim.post(this, () -> assigned.accept(pick));
  }

  /** Routes a request to the stream's entity on this node, activating one if needed. */
  void deliver(String streamId, SimStream.Req req) {
    SimStream s = streams.get(streamId);
    if (s == null) {
      s = new SimStream(this, streamId, nextIncarnation++);
      streams.put(streamId, s);
      s.activate();
    }
    s.dispatch(req);
  }

  /** The entity stopped; the next request activates a fresh one. */
  void stopped(SimStream s) {
    streams.remove(s.streamId, s);
  }

  /** Asks every active entity of the node to stop gracefully (passivation, handoff). */
  void passivateAll() {
    for (SimStream s : new ArrayList<>(streams.values())) {
      s.dispatch(new SimStream.Passivate());
    }
  }

  List<SimStream> activeStreams() {
    return new ArrayList<>(streams.values());
  }
}
