package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.millrace.client.ClientConfig;
import io.millrace.client.Endpoint;
import io.millrace.client.MillraceClient;
import io.millrace.client.RetryPolicy;
import io.millrace.client.S2Error;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509TrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import s2.v1alpha.AccountServiceClient;
import s2.v1alpha.ListBasinsRequest;

/** With {@code --tls-cert/--tls-key}, the gRPC port serves TLS (ALPN h2) with the same files. */
class GrpcTlsTest {
  @TempDir Path dataDir;

  @Test
  void theGrpcPortServesTlsWithTheRestListenersCertificate() throws Exception {
    Path cert = Path.of(GrpcTlsTest.class.getResource("/tls-test-cert.pem").toURI());
    Path key = Path.of(GrpcTlsTest.class.getResource("/tls-test-key.pem").toURI());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MillraceServer server =
        MillraceServer.start(
            ConfigFactory.parseMap(Map.of("millrace.grpc.port", 0))
                .withFallback(Main.config("127.0.0.1", 0, dataDir, cert, key)),
            new PrintStream(out, true, StandardCharsets.UTF_8));
    ActorSystem client =
        ActorSystem.create(
            "grpc-tls-client",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ConfigFactory.defaultReference()));
    try {
      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("Millrace gRPC (s2.v1alpha) on 127.0.0.1:" + server.grpcPort())
          // what the `millrace` client commands read (ClientOptions), TLS like the HTTP port
          .contains("export MILLRACE_GRPC_ENDPOINT=https://127.0.0.1:" + server.grpcPort() + "\n");
      AccountServiceClient account =
          AccountServiceClient.create(
              GrpcClientSettings.connectToServiceAt("localhost", server.grpcPort(), client)
                  .withTls(true)
                  .withTrustManager(new TrustAll())
                  .withCallCredentials(new BearerCredentials(server.accessToken())),
              client);
      var listed =
          account
              .listBasins()
              .invoke(ListBasinsRequest.getDefaultInstance())
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertThat(listed.getBasinsList()).isEmpty();
    } finally {
      client.terminate();
      server.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void theJavaSdkCallsTheTlsPortWithItsTokenTrustingTheJvmTrustStore() throws Exception {
    Path cert = Path.of(GrpcTlsTest.class.getResource("/tls-test-cert.pem").toURI());
    Path key = Path.of(GrpcTlsTest.class.getResource("/tls-test-key.pem").toURI());
    // the SDK trusts what the JVM's default trust store does: make that the test certificate
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      trust.setCertificateEntry(
          "millrace-test", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    Path trustStore = Files.createTempFile("millrace-trust", ".p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      trust.store(out, "changeit".toCharArray());
    }
    Map<String, String> before = new HashMap<>();
    Map<String, String> props =
        Map.of(
            "javax.net.ssl.trustStore", trustStore.toString(),
            "javax.net.ssl.trustStorePassword", "changeit",
            "javax.net.ssl.trustStoreType", "PKCS12");
    props.keySet().forEach(k -> before.put(k, System.getProperty(k)));
    props.forEach(System::setProperty);
    MillraceServer server =
        MillraceServer.start(
            ConfigFactory.parseMap(Map.of("millrace.grpc.port", 0))
                .withFallback(Main.config("127.0.0.1", 0, dataDir, cert, key)),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      ClientConfig config =
          ClientConfig.builder(Endpoint.parse("https://localhost:" + server.grpcPort()))
              .accessToken(server.accessToken())
              .build();
      try (MillraceClient sdk = MillraceClient.create(config)) {
        BasinInfo created =
            sdk.createBasin("tls-basin", BasinConfig.getDefaultInstance())
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertThat(created.getName()).isEqualTo("tls-basin");
        assertThat(
                sdk.listAllBasins("tls-").toCompletableFuture().get(30, TimeUnit.SECONDS).stream()
                    .map(BasinInfo::getName))
            .containsExactly("tls-basin");
      }
      ClientConfig noToken =
          ClientConfig.builder(Endpoint.parse("https://localhost:" + server.grpcPort()))
              .retry(RetryPolicy.NONE)
              .build();
      try (MillraceClient anonymous = MillraceClient.create(noToken)) {
        ExecutionException e =
            org.assertj.core.api.Assertions.catchThrowableOfType(
                ExecutionException.class,
                () -> anonymous.listAllBasins("").toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(S2Error.from(e).code()).isEqualTo("authn");
      }
    } finally {
      before.forEach(
          (k, v) -> {
            if (v == null) {
              System.clearProperty(k);
            } else {
              System.setProperty(k, v);
            }
          });
      server.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Files.deleteIfExists(trustStore);
    }
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
