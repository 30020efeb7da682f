package io.millrace.engine;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.config.StreamConfig;
import io.millrace.metadata.StreamRecord;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** A stream resolver over a map: streams are created by the test with a config. */
final class TestResolver implements StreamResolver {
  private final Map<String, StreamRecord> streams = new ConcurrentHashMap<>();

  StreamRecord create(String basin, String stream, StreamConfig config) {
    return create(basin, stream, config, null);
  }

  /** A stream whose row's {@code cipher} column holds {@code storedCipher} (null: none). */
  StreamRecord create(String basin, String stream, StreamConfig config, String storedCipher) {
    StreamRecord r =
        new StreamRecord(
            basin,
            stream,
            UUID.randomUUID().toString(),
            config.resolve(null),
            Instant.EPOCH,
            null,
            null,
            storedCipher,
            0);
    streams.put(basin + "/" + stream, r);
    return r;
  }

  @Override
  public CompletionStage<StreamRecord> resolve(String basin, String stream, Access access) {
    StreamRecord r = streams.get(basin + "/" + stream);
    if (r == null) {
      return CompletableFuture.failedFuture(
          new S2Exception(ErrorCode.STREAM_NOT_FOUND, "stream not found"));
    }
    return CompletableFuture.completedFuture(r);
  }
}
