package io.millrace.engine.verify;

import io.millrace.core.record.SequencedRecord;
import io.millrace.engine.wal.Channel;
import io.millrace.engine.wal.WalHorizon;
import io.millrace.format.CorruptObjectException;
import io.millrace.format.SegmentCodec;
import io.millrace.format.SegmentMeta;
import io.millrace.format.SegmentSalvage;
import io.millrace.format.StreamSection;
import io.millrace.format.WalChunkCodec;
import io.millrace.format.WalObject;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.ChannelRecord;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.StreamRecord;
import io.millrace.metadata.StreamletRecord;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code millrace verify}: checks every WAL chunk and every segment against the metadata and
 * reports what is damaged (issue 14); with repair, rebuilds damaged segments from the WAL chunks
 * that still hold their records.
 *
 * <ul>
 *   <li><b>WAL chunks</b>, per channel: each chunk must decode with every checksum passing; a
 *       missing chunk followed by a chunk at or beyond it plus {@code max-chunk-writes-in-flight}
 *       is a lost chunk (the channel wrote later chunks, so it had written this one); a missing
 *       chunk closer to the end is reported as possible crash debris. Chunks below the channel's
 *       {@link WalHorizon} (collected on purpose) are not expected.
 *   <li><b>Segments</b>, per stream of every basin: the object of each segment row must exist,
 *       decode whole and hold exactly the row's seq nums. Segment objects without a row are
 *       reported as leftovers (a flush that failed after writing its object).
 *   <li><b>Repair</b> of a damaged or missing segment: its records are gathered from the WAL chunks
 *       of the stream's streamlets (the section of the streamlet's epoch, up to its sealed tail);
 *       if they cover every seq num of the segment, the rebuilt segment replaces the object (the
 *       damaged object is first kept at {@code damaged/<key>}). WAL damage cannot be repaired (the
 *       records are gone); it is reported with what it affects.
 * </ul>
 *
 * Runs with blocking calls: it is a command, not part of a serving node.
 */
public final class StoreVerifier {
  /** How bad a finding is. */
  public enum Severity {
    /** Data acknowledged records depend on is missing or corrupt. */
    DAMAGED,
    /** Was damaged, rebuilt by this run. */
    REPAIRED,
    /** Worth knowing, not damage (leftovers, possible crash debris). */
    NOTE
  }

  /** One thing found. */
  public record Finding(Severity severity, String subject, String problem) {
    @Override
    public String toString() {
      return severity + " " + subject + ": " + problem;
    }
  }

  /** What a run found and how much it looked at. */
  public record Report(
      List<Finding> findings, int chunks, int channels, int segments, int streams) {
    public long count(Severity s) {
      return findings.stream().filter(f -> f.severity() == s).count();
    }
  }

  private static final int PAGE = 1000;

  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final int pipeliningDepth;
  private final WalHorizon horizon;
  private final List<Finding> findings = new ArrayList<>();

  public StoreVerifier(
      ObjectStore objects, MetadataStore metadata, int pipeliningDepth, WalHorizon horizon) {
    this.objects = objects;
    this.metadata = metadata;
    this.pipeliningDepth = Math.max(1, pipeliningDepth);
    this.horizon = horizon;
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private List<String> keys(String prefix) {
    List<String> out = new ArrayList<>();
    String after = null;
    while (true) {
      List<ObjectInfo> page = join(objects.list(prefix, after, PAGE));
      for (ObjectInfo o : page) {
        out.add(o.key());
      }
      if (page.size() < PAGE) {
        return out;
      }
      after = page.get(page.size() - 1).key();
    }
  }

  /** Checks everything; with {@code repair}, rebuilds what it can. */
  public Report run(boolean repair) {
    findings.clear();
    Map<String, TreeSet<Long>> wal = walChunks();
    int chunks = wal.values().stream().mapToInt(Set::size).sum();
    for (Map.Entry<String, TreeSet<Long>> channel : wal.entrySet()) {
      verifyChannel(channel.getKey(), channel.getValue());
    }
    Set<String> indexed = new HashSet<>();
    int segments = 0;
    // Every stream of every basin, and every stream id that has segment objects (a deleted
    // stream's rows may outlive its name).
    Map<String, String> streams = new TreeMap<>();
    for (StreamRecord stream : allStreams()) {
      streams.put(stream.streamId(), stream.basin() + "/" + stream.name());
    }
    List<String> segmentKeys = keys("segments/");
    for (String key : segmentKeys) {
      int slash = key.lastIndexOf('/');
      if (slash > "segments/".length()) {
        streams.putIfAbsent(key.substring("segments/".length(), slash), null);
      }
    }
    for (Map.Entry<String, String> stream : streams.entrySet()) {
      String label = stream.getValue() != null ? stream.getValue() : "with id " + stream.getKey();
      for (SegmentRecord seg : join(metadata.listSegments(stream.getKey()))) {
        segments++;
        indexed.add(seg.objectKey());
        verifySegment(label, seg, repair, wal);
      }
    }
    for (String key : segmentKeys) {
      if (!indexed.contains(key)) {
        findings.add(
            new Finding(
                Severity.NOTE,
                "segment object " + key,
                "no segment row refers to it (left by a flush that failed after writing it, or"
                    + " by a deleted stream); it is never read"));
      }
    }
    return new Report(List.copyOf(findings), chunks, wal.size(), segments, streams.size());
  }

  // ---------------------------------------------------------------- WAL

  private Map<String, TreeSet<Long>> walChunks() {
    Map<String, TreeSet<Long>> byChannel = new TreeMap<>();
    for (String key : keys("wal/")) {
      int slash = key.lastIndexOf('/');
      String channel = key.substring("wal/".length(), slash);
      try {
        byChannel
            .computeIfAbsent(channel, c -> new TreeSet<>())
            .add(Long.parseLong(key.substring(slash + 1)));
      } catch (NumberFormatException e) {
        findings.add(new Finding(Severity.NOTE, "object " + key, "not a WAL chunk key"));
      }
    }
    return byChannel;
  }

  private void verifyChannel(String channelId, TreeSet<Long> present) {
    long needed = Math.max(join(horizon.firstNeededChunk(channelId)), present.first());
    Long seal = join(metadata.getChannel(channelId)).map(ChannelRecord::sealChunkSeq).orElse(null);
    long last = present.last();
    for (long seq : present) {
      if (seq < needed) {
        continue;
      }
      String subject = "WAL chunk " + seq + " of channel " + channelId;
      Optional<byte[]> data = join(objects.get(Channel.walKey(channelId, seq)));
      if (data.isEmpty()) {
        continue; // deleted since the listing (chunk GC)
      }
      try {
        WalObject o = WalChunkCodec.decode(data.get());
        if (o instanceof WalObject.Chunk c && c.chunkSeq() != seq) {
          throw new CorruptObjectException("its header says chunk " + c.chunkSeq());
        }
      } catch (CorruptObjectException e) {
        boolean trusted = seal == null || seq < seal;
        findings.add(
            new Finding(
                trusted ? Severity.DAMAGED : Severity.NOTE,
                subject,
                "corrupt ("
                    + e.getMessage()
                    + ")"
                    + (trusted
                        ? "; streams with records in it cannot be recovered (they answer"
                            + " data_loss)"
                        : "; beyond the channel's seal, never read")));
      }
    }
    for (long m = needed; m < last; m++) {
      if (present.contains(m) || (seal != null && m >= seal)) {
        continue;
      }
      Long beyond = present.ceiling(m + pipeliningDepth);
      String subject = "WAL chunk " + m + " of channel " + channelId;
      if (beyond != null) {
        findings.add(
            new Finding(
                Severity.DAMAGED,
                subject,
                "missing, but chunk "
                    + beyond
                    + " exists at least max-chunk-writes-in-flight ("
                    + pipeliningDepth
                    + ") chunks later: it was written and lost, with the acknowledged records in"
                    + " it; recovery refuses to seal over it"));
      } else {
        findings.add(
            new Finding(
                Severity.NOTE,
                subject,
                "missing within the last "
                    + pipeliningDepth
                    + " chunks of the channel: crash debris if the channel died while writing it"));
      }
    }
  }

  // ---------------------------------------------------------------- segments

  private List<StreamRecord> allStreams() {
    List<StreamRecord> out = new ArrayList<>();
    String basinAfter = null;
    while (true) {
      List<BasinRecord> basins = join(metadata.listBasins("", basinAfter, PAGE));
      for (BasinRecord b : basins) {
        String after = null;
        while (true) {
          List<StreamRecord> page = join(metadata.listStreams(b.name(), "", after, PAGE));
          out.addAll(page);
          if (page.size() < PAGE) {
            break;
          }
          after = page.get(page.size() - 1).name();
        }
      }
      if (basins.size() < PAGE) {
        return out;
      }
      basinAfter = basins.get(basins.size() - 1).name();
    }
  }

  private void verifySegment(
      String stream, SegmentRecord seg, boolean repair, Map<String, TreeSet<Long>> wal) {
    String subject =
        "segment "
            + seg.firstSeqNum()
            + "-"
            + seg.lastSeqNum()
            + " of stream "
            + stream
            + " ("
            + seg.objectKey()
            + ")";
    Optional<byte[]> data = join(objects.get(seg.objectKey()));
    String problem;
    if (data.isEmpty()) {
      problem = "its object is missing";
    } else {
      SegmentSalvage s = SegmentSalvage.of(data.get(), seg.firstSeqNum(), seg.lastSeqNum());
      if (s.whole()) {
        SegmentMeta meta = SegmentCodec.readMeta(data.get());
        if (meta.firstSeqNum() == seg.firstSeqNum()
            && meta.lastSeqNum() == seg.lastSeqNum()
            && meta.streamId().equals(seg.streamId())) {
          return;
        }
        problem =
            "its object holds stream "
                + meta.streamId()
                + " seq nums "
                + meta.firstSeqNum()
                + "-"
                + meta.lastSeqNum()
                + ", not what its row says";
      } else if (s.damaged().isEmpty()) {
        problem = "its header is damaged (" + s.problem() + "); every record is still readable";
      } else {
        StringBuilder b = new StringBuilder();
        for (SegmentSalvage.DamagedRange r : s.damaged()) {
          b.append(b.length() == 0 ? "" : "; ").append(r.reason());
        }
        problem = "damaged: " + b;
      }
    }
    if (!repair) {
      findings.add(new Finding(Severity.DAMAGED, subject, problem));
      return;
    }
    Optional<String> rebuilt = rebuild(seg, data, wal);
    if (rebuilt.isEmpty()) {
      findings.add(new Finding(Severity.REPAIRED, subject, problem + "; rebuilt from the WAL"));
    } else {
      findings.add(
          new Finding(
              Severity.DAMAGED, subject, problem + "; cannot be rebuilt: " + rebuilt.get()));
    }
  }

  /** Rebuilds {@code seg} from the WAL; empty on success, else why not. */
  private Optional<String> rebuild(
      SegmentRecord seg, Optional<byte[]> damaged, Map<String, TreeSet<Long>> wal) {
    TreeMap<Long, SequencedRecord> found = new TreeMap<>();
    TreeMap<Long, Long> epochOf = new TreeMap<>();
    for (StreamletRecord s : join(metadata.listStreamlets(seg.streamId()))) {
      TreeSet<Long> present = wal.get(s.channelId());
      if (present == null) {
        continue;
      }
      long last;
      if (s.lastChunkSeq() != null) {
        last = s.lastChunkSeq();
      } else {
        Long seal =
            join(metadata.getChannel(s.channelId())).map(ChannelRecord::sealChunkSeq).orElse(null);
        last = seal != null ? seal - 1 : present.last();
      }
      for (long k : present.subSet(s.firstChunkSeq(), true, last, true)) {
        Optional<byte[]> chunk = join(objects.get(Channel.walKey(s.channelId(), k)));
        if (chunk.isEmpty()) {
          continue;
        }
        Optional<StreamSection> section;
        try {
          section = WalChunkCodec.decodeSection(chunk.get(), seg.streamId());
        } catch (CorruptObjectException e) {
          continue;
        }
        if (section.isEmpty() || section.get().epoch() != s.epoch()) {
          continue;
        }
        for (SequencedRecord r : section.get().records()) {
          boolean inSegment = r.seqNum() >= seg.firstSeqNum() && r.seqNum() <= seg.lastSeqNum();
          boolean belowSeal = s.sealedNextSeqNum() == null || r.seqNum() < s.sealedNextSeqNum();
          Long seenEpoch = epochOf.get(r.seqNum());
          if (inSegment && belowSeal && (seenEpoch == null || seenEpoch < s.epoch())) {
            found.put(r.seqNum(), r);
            epochOf.put(r.seqNum(), s.epoch());
          }
        }
      }
    }
    long expected = seg.lastSeqNum() - seg.firstSeqNum() + 1;
    if (found.size() != expected) {
      return Optional.of(
          "the WAL holds "
              + found.size()
              + " of its "
              + expected
              + " records (the rest were collected after the segment was written)");
    }
    byte[] bytes = SegmentCodec.encode(seg.streamId(), new ArrayList<>(found.values()));
    SegmentCodec.decode(bytes);
    if (damaged.isPresent()) {
      try {
        join(objects.putIfAbsent("damaged/" + seg.objectKey(), damaged.get()));
      } catch (RuntimeException e) {
        if (join(objects.get("damaged/" + seg.objectKey())).isEmpty()) {
          return Optional.of("the damaged object could not be set aside: " + e.getMessage());
        }
      }
      join(objects.delete(seg.objectKey()));
    }
    join(objects.putIfAbsent(seg.objectKey(), bytes));
    return Optional.empty();
  }
}
