package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class CorsTest {
  private static final Cors CREDENTIALED = new Cors(true, List.of("https://console.example"));

  private static HttpRequest from(String origin) {
    return HttpRequest.GET("/v1/basins").addHeader(RawHeader.create("Origin", origin));
  }

  private static List<String> values(HttpResponse r, String name) {
    return java.util.stream.StreamSupport.stream(r.getHeaders().spliterator(), false)
        .filter(h -> h.is(name))
        .map(HttpHeader::value)
        .toList();
  }

  @Test
  void listedOriginsAreMirroredWithCredentialsOnce() {
    HttpResponse r = CREDENTIALED.decorate(from("https://console.example"), Responses.empty(200));
    assertThat(values(r, "access-control-allow-origin")).containsExactly("https://console.example");
    assertThat(values(r, "access-control-allow-credentials")).containsExactly("true");
    assertThat(values(r, "vary")).containsExactly("Origin");
    // Decorating again (the handler decorates every answer, preflights included) adds nothing.
    assertThat(CREDENTIALED.decorate(from("https://console.example"), r)).isSameAs(r);
  }

  @Test
  void otherOriginsGetNoCorsHeadersWhenOriginsAreListed() {
    HttpResponse r = CREDENTIALED.decorate(from("https://evil.example"), Responses.empty(200));
    assertThat(values(r, "access-control-allow-origin")).isEmpty();
    assertThat(values(r, "access-control-allow-credentials")).isEmpty();
    HttpRequest preflight =
        HttpRequest.create("/v1/basins")
            .withMethod(HttpMethods.OPTIONS)
            .addHeader(RawHeader.create("Origin", "https://evil.example"))
            .addHeader(RawHeader.create("Access-Control-Request-Method", "DELETE"));
    HttpResponse p = CREDENTIALED.decorate(preflight, CREDENTIALED.preflight(preflight));
    assertThat(values(p, "access-control-allow-origin")).isEmpty();
    assertThat(values(p, "vary")).containsExactly("Origin");
  }

  @Test
  void byDefaultEveryOriginGetsAStarWithoutCredentials() {
    Cors cors = new Cors(true, List.of());
    HttpResponse r = cors.decorate(from("https://any.example"), Responses.empty(200));
    assertThat(values(r, "access-control-allow-origin")).containsExactly("*");
    assertThat(values(r, "access-control-allow-credentials")).isEmpty();
    HttpResponse plain = Responses.empty(200);
    assertThat(new Cors(false, List.of()).decorate(from("x"), plain)).isSameAs(plain);
  }
}
