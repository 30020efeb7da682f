package io.millrace.core.api;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Locations (spec section 4.5): the locations this deployment offers, and the account's default
 * location, which basins created without a {@code location} get. Failures complete exceptionally
 * with S2Exception.
 */
public interface LocationService {
  CompletionStage<List<LocationInfo>> listLocations();

  CompletionStage<LocationInfo> getDefaultLocation();

  /** Sets the default location; 422 {@code invalid} for a location that is not offered. */
  CompletionStage<LocationInfo> setDefaultLocation(String name);
}
