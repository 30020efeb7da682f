package io.millrace.engine.control;

import io.millrace.core.S2Exception;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.api.LocationService;
import io.millrace.metadata.MetadataStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locations (spec section 4.5): the offered ones come from {@link LocationSettings}; the account's
 * default is the {@code default_location} account setting in the metadata store (so every node sees
 * the same), or the configured initial default until one is set. A stored default that the
 * configuration no longer offers falls back to the configured default.
 */
final class Locations implements LocationService {
  private static final Logger log = LoggerFactory.getLogger(Locations.class);

  /** The account setting that holds the default location's name. */
  static final String DEFAULT_KEY = "default_location";

  private final MetadataStore metadata;
  private final LocationSettings settings;

  Locations(MetadataStore metadata, LocationSettings settings) {
    this.metadata = metadata;
    this.settings = settings;
  }

  @Override
  public CompletionStage<List<LocationInfo>> listLocations() {
    return CompletableFuture.completedFuture(settings.available());
  }

  @Override
  public CompletionStage<LocationInfo> getDefaultLocation() {
    return metadata
        .getAccountSetting(DEFAULT_KEY)
        .thenApply(
            stored -> {
              if (stored.isPresent()) {
                LocationInfo l = settings.find(stored.get());
                if (l != null) {
                  return l;
                }
                log.warn(
                    "The stored default location {} is not offered any more"
                        + " (millrace.locations.available); using {}.",
                    stored.get(),
                    settings.initialDefault());
              }
              return settings.find(settings.initialDefault());
            });
  }

  @Override
  public CompletionStage<LocationInfo> setDefaultLocation(String name) {
    LocationInfo l;
    try {
      l = require(name);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return metadata
        .putAccountSetting(DEFAULT_KEY, l.name())
        .thenApply(
            x -> {
              log.info("Set the default location to {}.", l.name());
              return l;
            });
  }

  /**
   * The location a basin is created in: {@code requested} if it is offered (422 {@code invalid}
   * otherwise), the default when it is null.
   */
  CompletionStage<String> forNewBasin(String requested) {
    if (requested == null) {
      return getDefaultLocation().thenApply(LocationInfo::name);
    }
    try {
      return CompletableFuture.completedFuture(require(requested).name());
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The offered location {@code name}; 422 {@code invalid} naming the offered ones otherwise. */
  LocationInfo require(String name) {
    LocationInfo l = settings.find(name);
    if (l == null) {
      throw S2Exception.invalid(
          "unknown location '"
              + name
              + "'; this server offers "
              + settings.available().stream()
                  .map(LocationInfo::name)
                  .collect(Collectors.joining(", ")));
    }
    return l;
  }
}
