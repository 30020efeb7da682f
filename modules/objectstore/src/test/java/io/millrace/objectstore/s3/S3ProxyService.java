package io.millrace.objectstore.s3;

import io.millrace.testsupport.ServiceProcess;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One S3Proxy per test JVM (started on first use) with one bucket the tests share. */
public final class S3ProxyService {
  public static final String BUCKET = "millrace-it";

  private static ServiceProcess process;

  private S3ProxyService() {}

  /** Settings for the shared bucket; each call's store is independent. */
  public static synchronized S3Settings settings() throws Exception {
    if (process == null) {
      process = ServiceProcess.start("s3proxy", "--backend", "transient");
      try (S3ObjectStore admin = new S3ObjectStore(baseSettings())) {
        admin.createBucketIfMissing().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
    return baseSettings();
  }

  private static S3Settings baseSettings() {
    return S3Settings.of(BUCKET)
        .withEndpoint(URI.create("http://127.0.0.1:" + process.port()))
        .withCredentials("millrace", "millrace-secret")
        .withRetries(Duration.ofSeconds(20), 3, Duration.ofMillis(50), Duration.ofMillis(500));
  }
}
