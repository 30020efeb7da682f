package io.millrace.engine.control;

import com.typesafe.config.Config;
import io.millrace.core.api.LocationInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The locations this deployment offers ({@code millrace.locations.available}) and the default
 * location basins get until one is set through {@code PUT /v1/locations/default} ({@code
 * millrace.locations.default}). Read once at start (docs/configuration.md).
 *
 * @param available at least one, names unique and not empty
 * @param initialDefault one of {@code available}
 */
public record LocationSettings(List<LocationInfo> available, String initialDefault) {

  /** One public location, {@code local}, the default. */
  public static final LocationSettings DEFAULT =
      new LocationSettings(List.of(new LocationInfo("local", false)), "local");

  public LocationSettings {
    available = List.copyOf(available);
    if (available.isEmpty()) {
      throw new IllegalArgumentException("millrace.locations.available must name a location");
    }
    Set<String> names = new HashSet<>();
    for (LocationInfo l : available) {
      if (l.name() == null || l.name().isBlank()) {
        throw new IllegalArgumentException("millrace.locations.available: a name is empty");
      }
      if (!names.add(l.name())) {
        throw new IllegalArgumentException(
            "millrace.locations.available names " + l.name() + " twice");
      }
    }
    if (!names.contains(initialDefault)) {
      throw new IllegalArgumentException(
          "millrace.locations.default "
              + initialDefault
              + " is not in millrace.locations.available");
    }
  }

  /** Reads {@code millrace.locations} of {@code root}. */
  public static LocationSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.locations");
    List<LocationInfo> available = new ArrayList<>();
    for (Config l : c.getConfigList("available")) {
      available.add(
          new LocationInfo(l.getString("name"), l.hasPath("private") && l.getBoolean("private")));
    }
    return new LocationSettings(available, c.getString("default"));
  }

  /** The offered location named {@code name}, or null. */
  LocationInfo find(String name) {
    for (LocationInfo l : available) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    return null;
  }
}
