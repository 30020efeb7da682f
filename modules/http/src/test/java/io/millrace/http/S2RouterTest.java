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

class S2RouterTest {

  @Test
  void everyEndpointIsReachedByItsMethodAndPath() {
    assertThat(S2Router.route("GET", "/health")).isEqualTo(new Found(Endpoint.HEALTH, null));
    assertThat(S2Router.route("GET", "/ping")).isEqualTo(new Found(Endpoint.HEALTH, null));
    assertThat(S2Router.route("GET", "/v1/basins"))
        .isEqualTo(new Found(Endpoint.LIST_BASINS, null));
    assertThat(S2Router.route("POST", "/v1/basins"))
        .isEqualTo(new Found(Endpoint.CREATE_BASIN, null));
    assertThat(S2Router.route("GET", "/v1/basins/b1"))
        .isEqualTo(new Found(Endpoint.GET_BASIN_CONFIG, "b1"));
    assertThat(S2Router.route("PUT", "/v1/basins/b1"))
        .isEqualTo(new Found(Endpoint.ENSURE_BASIN, "b1"));
    assertThat(S2Router.route("PATCH", "/v1/basins/b1"))
        .isEqualTo(new Found(Endpoint.RECONFIGURE_BASIN, "b1"));
    assertThat(S2Router.route("DELETE", "/v1/basins/b1"))
        .isEqualTo(new Found(Endpoint.DELETE_BASIN, "b1"));
    assertThat(S2Router.route("GET", "/v1/streams"))
        .isEqualTo(new Found(Endpoint.LIST_STREAMS, null));
    assertThat(S2Router.route("POST", "/v1/streams"))
        .isEqualTo(new Found(Endpoint.CREATE_STREAM, null));
    assertThat(S2Router.route("GET", "/v1/streams/a%2Fb"))
        .isEqualTo(new Found(Endpoint.GET_STREAM_CONFIG, "a/b"));
    assertThat(S2Router.route("PUT", "/v1/streams/a%2Fb"))
        .isEqualTo(new Found(Endpoint.ENSURE_STREAM, "a/b"));
    assertThat(S2Router.route("PATCH", "/v1/streams/a%2Fb"))
        .isEqualTo(new Found(Endpoint.RECONFIGURE_STREAM, "a/b"));
    assertThat(S2Router.route("DELETE", "/v1/streams/a%2Fb"))
        .isEqualTo(new Found(Endpoint.DELETE_STREAM, "a/b"));
    assertThat(S2Router.route("POST", "/v1/streams/a%2Fb/records"))
        .isEqualTo(new Found(Endpoint.APPEND, "a/b"));
    assertThat(S2Router.route("GET", "/v1/streams/a%2Fb/records"))
        .isEqualTo(new Found(Endpoint.READ, "a/b"));
    assertThat(S2Router.route("GET", "/v1/streams/a%2Fb/records/tail"))
        .isEqualTo(new Found(Endpoint.CHECK_TAIL, "a/b"));
  }

  @Test
  void aStreamNamedRecordsOrTailIsStillAStream() {
    assertThat(S2Router.route("GET", "/v1/streams/records"))
        .isEqualTo(new Found(Endpoint.GET_STREAM_CONFIG, "records"));
    assertThat(S2Router.route("GET", "/v1/streams/records%2Ftail/records/tail"))
        .isEqualTo(new Found(Endpoint.CHECK_TAIL, "records/tail"));
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
    assertThat(S2Router.route("GET", "/v1/access-tokens")).isInstanceOf(NotImplemented.class);
    assertThat(S2Router.route("DELETE", "/v1/access-tokens/x")).isInstanceOf(NotImplemented.class);
    assertThat(S2Router.route("GET", "/v1/metrics/b1/s1")).isInstanceOf(NotImplemented.class);
    assertThat(S2Router.route("PUT", "/v1/locations/default")).isInstanceOf(NotImplemented.class);
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
