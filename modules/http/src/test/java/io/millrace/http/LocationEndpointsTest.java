package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Locations (spec section 4.5) and the {@code location} of basin creates through the edge. */
class LocationEndpointsTest extends EdgeTestBase {
  private static final LocationInfo LOCAL = new LocationInfo("local", false);
  private static final LocationInfo VAULT = new LocationInfo("vault-1", true);

  @Test
  void listingAnswersABareArrayOfNamesAndPrivacy() throws Exception {
    stubs.answer("listLocations", List.of(LOCAL, VAULT));

    HttpResponse<byte[]> r = get("/v1/locations");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                [{"name": "local", "is_private": false}, {"name": "vault-1", "is_private": true}]
                """));
  }

  @Test
  void theDefaultIsReadAndSetWithAJsonStringBody() throws Exception {
    stubs.answer("getDefaultLocation", LOCAL);
    HttpResponse<byte[]> got = get("/v1/locations/default");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(json(got)).isEqualTo(json("{\"name\": \"local\", \"is_private\": false}"));

    stubs.answer("setDefaultLocation", VAULT);
    HttpResponse<byte[]> set = sendJson("PUT", "/v1/locations/default", "\"vault-1\"");
    assertThat(set.statusCode()).isEqualTo(200);
    assertThat(json(set)).isEqualTo(json("{\"name\": \"vault-1\", \"is_private\": true}"));
    assertThat(stubs.only("setDefaultLocation").arg(0)).isEqualTo("vault-1");
  }

  @Test
  void aDefaultBodyThatIsNotAJsonStringIsBadJsonAndSetsNothing() throws Exception {
    for (String body : List.of("{\"name\":\"local\"}", "42", "not json", "[\"local\"]", "null")) {
      HttpResponse<byte[]> r = sendJson("PUT", "/v1/locations/default", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).get("code").asText()).isEqualTo("bad_json");
    }
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void anUnknownLocationIsTheServicesInvalid() throws Exception {
    stubs.fail("setDefaultLocation", S2Exception.invalid("unknown location 'mars-1'"));

    HttpResponse<byte[]> r = sendJson("PUT", "/v1/locations/default", "\"mars-1\"");

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(json(r).get("code").asText()).isEqualTo("invalid");
  }

  @Test
  void basinCreatesAndEnsuresPassTheirLocationOrScope() throws Exception {
    BasinInfo info = new BasinInfo("my-basin-1", "vault-1", Instant.EPOCH, null);
    stubs.answer("createBasin", new Provisioned<>(info, ProvisionResult.CREATED));
    stubs.answer("ensureBasin", new Provisioned<>(info, ProvisionResult.CREATED));

    HttpResponse<byte[]> created =
        sendJson("POST", "/v1/basins", "{\"basin\":\"my-basin-1\",\"location\":\"vault-1\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(json(created).get("location").asText()).isEqualTo("vault-1");
    assertThat(stubs.only("createBasin").arg(3)).isEqualTo("vault-1");
    stubs.reset();
    stubs.answer("createBasin", new Provisioned<>(info, ProvisionResult.CREATED));
    sendJson("POST", "/v1/basins", "{\"basin\":\"my-basin-1\",\"scope\":\"vault-1\"}");
    assertThat(stubs.only("createBasin").arg(3)).isEqualTo("vault-1");
    stubs.reset();
    stubs.answer("createBasin", new Provisioned<>(info, ProvisionResult.CREATED));
    sendJson("POST", "/v1/basins", "{\"basin\":\"my-basin-1\"}");
    assertThat(stubs.only("createBasin").arg(3)).isNull();

    stubs.answer("ensureBasin", new Provisioned<>(info, ProvisionResult.CREATED));
    sendJson("PUT", "/v1/basins/my-basin-1", "{\"location\":\"vault-1\"}");
    assertThat(stubs.only("ensureBasin").arg(2)).isEqualTo("vault-1");

    HttpResponse<byte[]> badLocation =
        sendJson("POST", "/v1/basins", "{\"basin\":\"my-basin-2\",\"location\":7}");
    assertThat(badLocation.statusCode()).isEqualTo(400);
    assertThat(json(badLocation).get("code").asText()).isEqualTo("bad_json");
  }
}
