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

  /**
   * 201 created / noop for a replay with the same request token and config; 409 otherwise. {@code
   * location} null means the account's default location; an unknown one is 422 {@code invalid}.
   */
  CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String location, String requestToken);

  /** A create in the default location. */
  default CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String requestToken) {
    return createBasin(basin, config, null, requestToken);
  }

  CompletionStage<BasinConfig> getBasinConfig(String basin);

  /**
   * PUT: set exactly this config (created, updated or noop). {@code location} (null: the default)
   * applies when the basin is created; a location is fixed for life, so another one than an
   * existing basin's is 422 {@code invalid}.
   */
  CompletionStage<Provisioned<BasinInfo>> ensureBasin(
      String basin, BasinConfig config, String location);

  /** An ensure without a location. */
  default CompletionStage<Provisioned<BasinInfo>> ensureBasin(String basin, BasinConfig config) {
    return ensureBasin(basin, config, null);
  }

  CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch);

  /** Marks the basin deleted; its streams and then the basin go away in the background. */
  CompletionStage<Void> deleteBasin(String basin);
}
