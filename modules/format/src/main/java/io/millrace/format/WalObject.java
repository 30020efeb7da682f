package io.millrace.format;

import java.util.List;
import java.util.Objects;

/** A decoded object under {@code wal/<channel-id>/<chunk-seq>}: a chunk of records, or a seal. */
public sealed interface WalObject permits WalObject.Chunk, WalObject.Seal {
  String channelId();

  long chunkSeq();

  /** A WAL chunk: the sections of the streams that appended to the channel in one flush. */
  record Chunk(String channelId, long chunkSeq, List<StreamSection> sections) implements WalObject {
    public Chunk {
      Objects.requireNonNull(channelId, "channelId");
      sections = List.copyOf(sections);
    }
  }

  /**
   * A seal written at the first missing chunk key of a dead channel incarnation: no chunk at or
   * after {@code chunkSeq} of that channel is visible.
   */
  record Seal(String channelId, long chunkSeq) implements WalObject {
    public Seal {
      Objects.requireNonNull(channelId, "channelId");
    }
  }
}
