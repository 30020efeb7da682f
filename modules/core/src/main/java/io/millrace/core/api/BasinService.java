package io.millrace.core.api;

import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import java.util.concurrent.CompletionStage;

/**
 * Basin control plane (spec section 4.1). Inputs are already validated for shape by the edge; names
 * and configs are validated here. Failures complete exceptionally with S2Exception.
 */
public interface BasinService {
  CompletionStage<ListPage<BasinInfo>> listBasins(ListRequest request);

  /** 201 created / noop for a replay with the same request token and config; 409 otherwise. */
  CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String requestToken);

  CompletionStage<BasinConfig> getBasinConfig(String basin);

  /** PUT: set exactly this config (created, updated or noop). */
  CompletionStage<Provisioned<BasinInfo>> ensureBasin(String basin, BasinConfig config);

  CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch);

  /** Marks the basin deleted; its streams and then the basin go away in the background. */
  CompletionStage<Void> deleteBasin(String basin);
}
