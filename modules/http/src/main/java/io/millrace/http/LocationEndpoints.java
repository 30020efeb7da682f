package io.millrace.http;

import io.millrace.core.api.LocationService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Locations (spec section 4.5): {@code GET /v1/locations}, {@code GET /v1/locations/default} and
 * {@code PUT /v1/locations/default} with a JSON string body. Without a {@link LocationService} they
 * answer 501 {@code not_implemented}.
 */
final class LocationEndpoints {
  private final LocationService locations;

  LocationEndpoints(LocationService locations) {
    this.locations = locations;
  }

  CompletionStage<HttpResponse> list(Call call) {
    if (locations == null) {
      return notImplemented();
    }
    return locations.listLocations().thenApply(l -> Responses.json(200, JsonCodec.locationList(l)));
  }

  CompletionStage<HttpResponse> getDefault(Call call) {
    if (locations == null) {
      return notImplemented();
    }
    return locations
        .getDefaultLocation()
        .thenApply(l -> Responses.json(200, JsonCodec.locationInfo(l)));
  }

  /** 200 with the new default; a body that is not a JSON string is 400 {@code bad_json}. */
  CompletionStage<HttpResponse> setDefault(Call call) {
    if (locations == null) {
      return notImplemented();
    }
    String name = JsonCodec.locationName(call.jsonBody(false));
    return locations
        .setDefaultLocation(name)
        .thenApply(l -> Responses.json(200, JsonCodec.locationInfo(l)));
  }

  private static CompletionStage<HttpResponse> notImplemented() {
    return CompletableFuture.completedFuture(ErrorMapper.notImplemented("locations"));
  }
}
