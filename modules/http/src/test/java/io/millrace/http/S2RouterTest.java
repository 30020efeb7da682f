package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.http.S2Router.Endpoint;
import io.millrace.http.S2Router.Found;
import io.millrace.http.S2Router.MethodNotAllowed;
import io.millrace.http.S2Router.NotFound;
import io.millrace.http.S2Router.NotImplemented;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S2RouterTest {

  @ParameterizedTest(name = "{0} {1} is {2} of {3}")
  @CsvSource(
      nullValues = "-",
      value = {
        "GET,    /health,                            HEALTH,             -",
        "GET,    /ping,                              HEALTH,             -",
        "GET,    /v1/basins,                         LIST_BASINS,        -",
        "POST,   /v1/basins,                         CREATE_BASIN,       -",
        "GET,    /v1/basins/b1,                      GET_BASIN_CONFIG,   b1",
        "PUT,    /v1/basins/b1,                      ENSURE_BASIN,       b1",
        "PATCH,  /v1/basins/b1,                      RECONFIGURE_BASIN,  b1",
        "DELETE, /v1/basins/b1,                      DELETE_BASIN,       b1",
        "GET,    /v1/streams,                        LIST_STREAMS,       -",
        "POST,   /v1/streams,                        CREATE_STREAM,      -",
        "GET,    /v1/streams/a%2Fb,                  GET_STREAM_CONFIG,  a/b",
        "PUT,    /v1/streams/a%2Fb,                  ENSURE_STREAM,      a/b",
        "PATCH,  /v1/streams/a%2Fb,                  RECONFIGURE_STREAM, a/b",
        "DELETE, /v1/streams/a%2Fb,                  DELETE_STREAM,      a/b",
        "POST,   /v1/streams/a%2Fb/records,          APPEND,             a/b",
        "GET,    /v1/streams/a%2Fb/records,          READ,               a/b",
        "GET,    /v1/streams/a%2Fb/records/tail,     CHECK_TAIL,         a/b",
        // A stream named records or tail is still a stream.
        "GET,    /v1/streams/records,                GET_STREAM_CONFIG,  records",
        "GET,    /v1/streams/records%2Ftail/records/tail, CHECK_TAIL,    records/tail",
      })
  void everyEndpointIsReachedByItsMethodAndPath(
      String method, String path, Endpoint endpoint, String name) {
    assertThat(S2Router.route(method, path)).isEqualTo(new Found(endpoint, name));
  }

  @Test
  void wrongMethodsListWhatIsAllowed() {
    assertThat(S2Router.route("PUT", "/v1/basins"))
        .isEqualTo(new MethodNotAllowed(List.of("GET", "POST")));
    assertThat(S2Router.route("POST", "/v1/streams/s/records/tail"))
        .isEqualTo(new MethodNotAllowed(List.of("GET")));
    assertThat(S2Router.route("DELETE", "/v1/streams/s/records"))
        .isEqualTo(new MethodNotAllowed(List.of("GET", "POST")));
  }

  @Test
  void unimplementedAreasAndUnknownPaths() {
    assertThat(S2Router.route("GET", "/v1/access-tokens"))
        .isEqualTo(new Found(Endpoint.LIST_ACCESS_TOKENS, null));
    assertThat(S2Router.route("POST", "/v1/access-tokens"))
        .isEqualTo(new Found(Endpoint.ISSUE_ACCESS_TOKEN, null));
    assertThat(S2Router.route("DELETE", "/v1/access-tokens/a%2Fb"))
        .isEqualTo(new Found(Endpoint.REVOKE_ACCESS_TOKEN, "a/b"));
    assertThat(S2Router.route("GET", "/v1/access-tokens/x"))
        .isEqualTo(new MethodNotAllowed(List.of("DELETE")));
    assertThat(S2Router.route("GET", "/v1/metrics/b1/s1")).isInstanceOf(NotImplemented.class);
    assertThat(S2Router.route("GET", "/v1/locations"))
        .isEqualTo(new Found(Endpoint.LIST_LOCATIONS, null));
    assertThat(S2Router.route("GET", "/v1/locations/default"))
        .isEqualTo(new Found(Endpoint.GET_DEFAULT_LOCATION, null));
    assertThat(S2Router.route("PUT", "/v1/locations/default"))
        .isEqualTo(new Found(Endpoint.SET_DEFAULT_LOCATION, null));
    assertThat(S2Router.route("POST", "/v1/locations"))
        .isEqualTo(new MethodNotAllowed(List.of("GET")));
    assertThat(S2Router.route("GET", "/v1/locations/other")).isInstanceOf(NotFound.class);
    for (String path :
        List.of(
            "/",
            "",
            "/v1",
            "/v2/basins",
            "/v1/basins/b1/x",
            "/v1/streams/",
            "/v1//streams",
            "/v1/streams/s/records/tail/more",
            "/v1/streams/%zz")) {
      assertThat(S2Router.route("GET", path)).as(path).isEqualTo(new NotFound());
    }
  }

  @Test
  void segmentsAreSplitBeforeDecoding() {
    assertThat(S2Router.segments("/v1/streams/a%2Fb%2F%2Fc"))
        .containsExactly("v1", "streams", "a/b//c");
    assertThat(S2Router.segments("/a/b/")).containsExactly("a", "b", "");
    assertThat(S2Router.percentDecode("caf%C3%A9+%2B%25")).isEqualTo("café++%");
    assertThat(S2Router.percentDecode("日本")).isEqualTo("日本");
    assertThatThrownBy(() -> S2Router.percentDecode("%4"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void segmentsThatAreNotUtf8AreBadPathsNotReplacementCharacters() {
    for (String segment : List.of("%FF", "%FE", "a%C3", "%ED%A0%80", "%C0%AF", "%F4%90%80%80")) {
      assertThatThrownBy(() -> S2Router.percentDecode(segment))
          .as(segment)
          .isInstanceOf(S2Router.InvalidUtf8Exception.class);
      assertThat(S2Router.route("GET", "/v1/streams/" + segment))
          .as(segment)
          .isInstanceOf(S2Router.BadPath.class);
    }
  }
}
