package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --tls-cert C --tls-key K}: TLS with ALPN h2 and http/1.1, https endpoints. */
class ServeTlsTest {
  @TempDir Path dataDir;

  private static Path resource(String name) throws Exception {
    return Path.of(ServeTlsTest.class.getResource("/" + name).toURI());
  }

  private static HttpClient trustingClient() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
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
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(ctx).build();
  }

  @Test
  void aServerWithACertificateAndKeyServesHttp2OverTlsAndPrintsHttpsEndpoints() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MillraceServer server =
        MillraceServer.start(
            Main.config(
                "127.0.0.1",
                0,
                dataDir,
                resource("tls-test-cert.pem"),
                resource("tls-test-key.pem")),
            new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      String base = "https://127.0.0.1:" + server.port();
      assertThat(server.baseUrl()).isEqualTo(base);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("export S2_ACCOUNT_ENDPOINT=" + base)
          .contains("Millrace ready on " + base);
      HttpResponse<String> health =
          trustingClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("https://localhost:" + server.port() + "/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);
    } finally {
      server.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aKeyThatIsNotPkcs8IsAStartupError() throws Exception {
    Path badKey = dataDir.resolve("key.pem");
    Files.writeString(
        badKey, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(
            () ->
                MillraceServer.start(
                    Main.config(
                        "127.0.0.1",
                        0,
                        dataDir.resolve("d"),
                        resource("tls-test-cert.pem"),
                        badKey),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("PKCS#8");
  }
}
