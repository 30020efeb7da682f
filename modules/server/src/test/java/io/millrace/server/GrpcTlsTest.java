package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
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
