package io.millrace.format;

import java.util.List;

/** TEMPORARY stand-in until the format module lands (API from entrypoints.md). */
public sealed interface WalObject {
  record Chunk(String channelId, long chunkSeq, List<StreamSection> sections)
      implements WalObject {}

  record Seal(String channelId, long chunkSeq) implements WalObject {}
}
