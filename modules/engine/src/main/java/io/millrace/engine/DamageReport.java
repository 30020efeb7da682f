package io.millrace.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What this node found damaged in the stores: WAL chunks missing or corrupt under records that were
 * acknowledged, and segment blocks that fail their checksum. One per {@link DataPlane}; the engine
 * reports into it when recovery or a read meets the damage and clears an entry when the same
 * subject is later recovered or read whole again (after {@code millrace verify --repair}). {@code
 * GET /health} and {@code /metrics} read it, so an operator sees the damage without grepping logs.
 *
 * <p>It holds what this node has seen since it started, not a durable list: the stores themselves
 * are the evidence, and the next activation or read finds the damage again.
 */
public final class DamageReport {
  /** What is damaged. */
  public enum Kind {
    /** A channel's WAL has a hole or a corrupt chunk under acknowledged records. */
    CHANNEL,
    /** A stream cannot be recovered or read in full. */
    STREAM,
    /** A segment object fails its checksums. */
    SEGMENT
  }

  /** One damaged subject and what is wrong with it. */
  public record Entry(Kind kind, String subject, String detail) {}

  private final Map<String, Entry> entries = new ConcurrentSkipListMap<>();

  /** Records that {@code subject} (a channel, stream or segment id) is damaged. */
  public void report(Kind kind, String subject, String detail) {
    entries.put(kind + " " + subject, new Entry(kind, subject, detail));
  }

  /** {@code subject} was recovered or read whole: it is no longer reported. */
  public void clear(Kind kind, String subject) {
    entries.remove(kind + " " + subject);
  }

  /** Every damaged subject, in a stable order. */
  public List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  /** How many subjects of {@code kind} are damaged. */
  public long count(Kind kind) {
    return entries.values().stream().filter(e -> e.kind() == kind).count();
  }
}
