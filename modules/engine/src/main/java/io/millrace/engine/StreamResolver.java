package io.millrace.engine;

import io.millrace.metadata.StreamRecord;
import java.util.concurrent.CompletionStage;

/**
 * Resolves (basin, stream name) to the live stream row for a data-plane operation, creating the
 * stream when the basin allows it for that access ({@code create_stream_on_append} / {@code
 * create_stream_on_read}). Fails with S2Exception {@code basin_not_found}, {@code
 * stream_not_found}, {@code basin_deletion_pending} or {@code stream_deletion_pending}. Implemented
 * by the control plane; used by the data plane.
 */
public interface StreamResolver {
  enum Access {
    APPEND,
    READ,
    CHECK_TAIL
  }

  CompletionStage<StreamRecord> resolve(String basin, String stream, Access access);
}
