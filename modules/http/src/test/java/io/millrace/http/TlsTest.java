package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The edge with a certificate and key: TLS with ALPN h2 and http/1.1 on one port. */
class TlsTest {
  static TestEdge edge;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    Path cert = Path.of(TlsTest.class.getResource("/tls-test-cert.pem").toURI());
    Path key = Path.of(TlsTest.class.getResource("/tls-test-key.pem").toURI());
    StubServices stubs = new StubServices();
    edge =
        TestEdge.start(
            "tls-test", "", new HttpSettings("127.0.0.1", 0, cert, key), stubs, stubs, () -> true);
    base = "https://localhost:" + edge.port();
  }

  @AfterAll
  static void stop() throws Exception {
    edge.close();
  }

  /** A client of {@code version} that trusts the test certificate, and only it. */
  static HttpClient client(HttpClient.Version version) throws Exception {
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream pem = TlsTest.class.getResourceAsStream("/tls-test-cert.pem")) {
      trusted.setCertificateEntry(
          "tls-test", CertificateFactory.getInstance("X.509").generateCertificate(pem));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    return HttpClient.newBuilder().version(version).sslContext(tls).build();
  }

  /** GETs {@code /health} with a client of {@code version}. */
  static HttpResponse<String> health(HttpClient.Version version) throws Exception {
    return client(version)
        .send(
            HttpRequest.newBuilder(URI.create(base + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void clientsOfferingH2GetHttp2OverTls() throws Exception {
    HttpResponse<String> r = health(HttpClient.Version.HTTP_2);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("OK");
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
  }

  @Test
  void clientsOfferingOnlyHttp11GetHttp11OverTls() throws Exception {
    HttpResponse<String> r = health(HttpClient.Version.HTTP_1_1);
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
