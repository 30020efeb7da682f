package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The edge with a certificate and key: TLS with ALPN h2 and http/1.1 on one port. */
class TlsTest {
  static ActorSystem<Void> system;
  static ServerBinding binding;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "tls-test",
            ConfigFactory.parseString("pekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
    Path cert = Path.of(TlsTest.class.getResource("/tls-test-cert.pem").toURI());
    Path key = Path.of(TlsTest.class.getResource("/tls-test-key.pem").toURI());
    StubServices stubs = new StubServices();
    binding =
        S2HttpServer.bind(
                system,
                new HttpSettings("127.0.0.1", 0, cert, key),
                stubs,
                stubs,
                stubs,
                () -> true)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "https://localhost:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static HttpClient client(HttpClient.Version version) throws Exception {
    SSLContext trustAll = SSLContext.getInstance("TLS");
    trustAll.init(
        null,
        new TrustManager[] {
          new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          }
        },
        null);
    return HttpClient.newBuilder().version(version).sslContext(trustAll).build();
  }

  @Test
  void clientsOfferingH2GetHttp2OverTls() throws Exception {
    HttpResponse<String> r =
        client(HttpClient.Version.HTTP_2)
            .send(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("OK");
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
  }

  @Test
  void clientsOfferingOnlyHttp11GetHttp11OverTls() throws Exception {
    HttpResponse<String> r =
        client(HttpClient.Version.HTTP_1_1)
            .send(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
  }

  @Test
  void settingsNeedBothTheCertificateAndTheKey() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new HttpSettings("127.0.0.1", 0, Path.of("cert.pem"), null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
