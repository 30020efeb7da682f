package io.millrace.core.api;

import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import java.util.concurrent.CompletionStage;

/** Stream control plane (spec section 4.2). Configs returned are fully resolved. */
public interface StreamService {
  CompletionStage<ListPage<StreamInfo>> listStreams(String basin, ListRequest request);

  CompletionStage<Provisioned<StreamInfo>> createStream(
      String basin, String stream, StreamConfig config, String requestToken);

  CompletionStage<StreamConfig> getStreamConfig(String basin, String stream);

  CompletionStage<Provisioned<StreamInfo>> ensureStream(
      String basin, String stream, StreamConfig config);

  CompletionStage<StreamConfig> reconfigureStream(
      String basin, String stream, StreamReconfiguration patch);

  CompletionStage<Void> deleteStream(String basin, String stream);
}
