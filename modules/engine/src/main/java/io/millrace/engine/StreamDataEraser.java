package io.millrace.engine;

import java.util.concurrent.CompletionStage;

/**
 * Erases a deleted stream's data: stops its entity, deletes its segments, segment index rows,
 * streamlets; its stream state becomes a tombstone (the id is never activated again). Idempotent:
 * safe to call again after a crash part way. Implemented by the data plane; called by the control
 * plane's {@code StreamDeletion} (step 2 of 3: mark, erase, remove the row; its Javadoc has the
 * whole sequence), from its background sweeps.
 */
public interface StreamDataEraser {
  CompletionStage<Void> erase(String streamId);
}
