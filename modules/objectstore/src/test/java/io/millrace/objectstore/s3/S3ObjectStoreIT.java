package io.millrace.objectstore.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.testsupport.ServiceProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** S3-specific behaviour beyond the contract: several clients, failures, key prefixes. */
class S3ObjectStoreIT {

  private static final Duration SHORT = Duration.ofMillis(700);

  @Test
  void concurrentPutsOfOneKeyFromSeparateClientsHaveExactlyOneWinner() throws Exception {
    S3Settings settings = S3ProxyService.settings();
    String key = "it-" + UUID.randomUUID() + "/wal/ch/00000000000000000003";
    List<S3ObjectStore> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        nodes.add(new S3ObjectStore(settings));
      }
      List<CompletableFuture<Void>> puts = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        puts.add(nodes.get(i).putIfAbsent(key, bytes("node-" + i)).toCompletableFuture());
      }
      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < puts.size(); i++) {
        Throwable failure = failureOf(puts.get(i));
        if (failure == null) {
          winners.add(i);
        } else {
          assertThat(failure).isInstanceOf(ObjectAlreadyExistsException.class);
        }
      }

      assertThat(winners).hasSize(1);
      assertThat(await(nodes.get(0).get(key)))
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("node-" + winners.get(0))));
    } finally {
      nodes.forEach(S3ObjectStore::close);
    }
  }

  @Test
  void aPutWhoseResponseWasLostIsRetriedAndThenReportedAsAlreadyExistingWithItsContentStored()
      throws Exception {
    S3Settings direct = S3ProxyService.settings();
    String key = "it-" + UUID.randomUUID() + "/wal/ch/00000000000000000001";
    try (ResponseDroppingProxy proxy = new ResponseDroppingProxy(direct.endpoint().getPort());
        S3ObjectStore viaProxy =
            new S3ObjectStore(
                direct
                    .withEndpoint(URI.create("http://127.0.0.1:" + proxy.port()))
                    // The first attempt's response is dropped and it times out; a retry must
                    // then get an answer within the timeout, which S3Proxy on a busy two-core CI
                    // machine (Cassandra starting next to it) once did not give in 2 s.
                    .withRetries(
                        Duration.ofSeconds(3), 5, Duration.ofMillis(20), Duration.ofMillis(50)));
        S3ObjectStore reader = new S3ObjectStore(direct)) {

      Throwable failure = failureOf(viaProxy.putIfAbsent(key, bytes("landed")));

      assertThat(failure).isInstanceOf(ObjectAlreadyExistsException.class);
      assertThat(((ObjectAlreadyExistsException) failure).key()).isEqualTo(key);
      assertThat(await(reader.get(key)))
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("landed")));
    }
  }

  @Test
  void keysUnderAPrefixAreInvisibleToAStoreWithAnotherPrefix() throws Exception {
    String run = "it-" + UUID.randomUUID() + "/";
    try (S3ObjectStore a = new S3ObjectStore(S3ProxyService.settings().withKeyPrefix(run + "a/"));
        S3ObjectStore b = new S3ObjectStore(S3ProxyService.settings().withKeyPrefix(run + "b/"));
        S3ObjectStore whole = new S3ObjectStore(S3ProxyService.settings())) {
      await(a.putIfAbsent("k", bytes("from a")));

      assertThat(await(b.get("k"))).isEmpty();
      await(b.putIfAbsent("k", bytes("from b")));
      assertThat(await(a.list("", null, 10))).containsExactly(new ObjectInfo("k", 6));
      assertThat(await(whole.list(run, null, 10)))
          .extracting(ObjectInfo::key)
          .containsExactly(run + "a/k", run + "b/k");
    }
  }

  @Test
  void aMissingBucketIsAnErrorNotAMissingObject() throws Exception {
    S3Settings settings =
        withBucket(
            S3ProxyService.settings(),
            "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8));
    try (S3ObjectStore store = new S3ObjectStore(settings)) {
      assertThat(failureOf(store.get("k"))).isInstanceOf(ObjectStoreException.class);
      assertThat(failureOf(store.putIfAbsent("k", bytes("x"))))
          .isExactlyInstanceOf(ObjectStoreException.class);
    }
  }

  @Test
  void verifyingTheBucketSucceedsOnlyForAnExistingBucketOnAReachableServer() throws Exception {
    S3Settings good = S3ProxyService.settings();
    try (S3ObjectStore store = new S3ObjectStore(good)) {
      await(store.verifyBucket());
    }
    try (S3ObjectStore store = new S3ObjectStore(withBucket(good, "missing-bucket"))) {
      assertThat(failureOf(store.verifyBucket()))
          .isExactlyInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("missing-bucket")
          .hasMessageContaining("does not exist");
    }
    int closedPort = ServiceProcess.freePort();
    S3Settings unreachable =
        good.withEndpoint(URI.create("http://127.0.0.1:" + closedPort))
            .withRetries(SHORT, 2, Duration.ofMillis(20), Duration.ofMillis(50));
    try (S3ObjectStore store = new S3ObjectStore(unreachable)) {
      assertThat(failureOf(store.verifyBucket()))
          .isExactlyInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("http://127.0.0.1:" + closedPort);
    }
  }

  @Test
  void wrongCredentialsFailWithObjectStoreException() throws Exception {
    try (S3ObjectStore store =
        new S3ObjectStore(S3ProxyService.settings().withCredentials("millrace", "wrong"))) {
      Throwable failure = failureOf(store.putIfAbsent("it-" + UUID.randomUUID(), bytes("x")));

      assertThat(failure).isExactlyInstanceOf(ObjectStoreException.class);
      assertThat(failure.getMessage()).contains("403");
    }
  }

  @Test
  void anUnreachableEndpointFailsEveryCallWithObjectStoreExceptionAfterBoundedRetries() {
    int closedPort = ServiceProcess.freePort();
    S3Settings settings =
        S3Settings.of("bucket")
            .withEndpoint(URI.create("http://127.0.0.1:" + closedPort))
            .withCredentials("millrace", "millrace-secret")
            .withRetries(SHORT, 3, Duration.ofMillis(20), Duration.ofMillis(100));
    try (S3ObjectStore store = new S3ObjectStore(settings)) {
      assertThat(failureOf(store.putIfAbsent("k", bytes("x"))))
          .isExactlyInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("127.0.0.1:" + closedPort);
      assertThat(failureOf(store.get("k"))).isExactlyInstanceOf(ObjectStoreException.class);
      assertThat(failureOf(store.getRange("k", 0, 3)))
          .isExactlyInstanceOf(ObjectStoreException.class);
      assertThat(failureOf(store.list("", null, 10)))
          .isExactlyInstanceOf(ObjectStoreException.class);
      assertThat(failureOf(store.delete("k"))).isExactlyInstanceOf(ObjectStoreException.class);
    }
  }

  @Test
  void aServerThatNeverAnswersFailsTheCallWithObjectStoreExceptionAfterEveryAttemptTimedOut()
      throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0)) {
      Thread acceptor =
          new Thread(
              () -> {
                while (!silent.isClosed()) {
                  try {
                    Socket s = silent.accept();
                    accepted.add(s);
                    drain(s);
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      S3Settings settings =
          S3Settings.of("bucket")
              .withEndpoint(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
              .withCredentials("millrace", "millrace-secret")
              .withRetries(SHORT, 2, Duration.ofMillis(20), Duration.ofMillis(50));
      try (S3ObjectStore store = new S3ObjectStore(settings)) {
        assertThat(failureOf(store.putIfAbsent("k", bytes("x"))))
            .isExactlyInstanceOf(ObjectStoreException.class);
        assertThat(failureOf(store.get("k"))).isExactlyInstanceOf(ObjectStoreException.class);
      }
      assertThat(accepted).isNotEmpty();
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static void drain(Socket s) {
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = s.getInputStream()) {
                in.transferTo(OutputSink.INSTANCE);
              } catch (IOException ignored) {
                // closed by the test
              }
            });
    t.setDaemon(true);
    t.start();
  }

  private static final class OutputSink extends java.io.OutputStream {
    static final OutputSink INSTANCE = new OutputSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  private static S3Settings withBucket(S3Settings s, String bucket) {
    return new S3Settings(
        bucket,
        s.keyPrefix(),
        s.endpoint(),
        s.region(),
        s.pathStyle(),
        s.accessKeyId(),
        s.secretAccessKey(),
        s.requestTimeout(),
        s.maxAttempts(),
        s.backoffBase(),
        s.backoffMax(),
        s.maxConcurrency());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** The failure of the stage (null if it succeeded); it must end within the call timeout. */
  private static Throwable failureOf(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the call did not end: " + e, e);
    }
  }
}
