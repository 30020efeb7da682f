package io.millrace.engine.wal;

import io.millrace.engine.EngineMetrics;
import io.millrace.engine.EngineSettings;
import io.millrace.metadata.MetadataStore;
import io.millrace.objectstore.ObjectStore;
import java.time.Clock;

/** What every channel of a node uses: its node name, the two ports, settings, metrics, clock. */
public record ChannelDeps(
    String node,
    ObjectStore objects,
    MetadataStore metadata,
    EngineSettings settings,
    EngineMetrics metrics,
    Clock clock) {}
