package io.millrace.objectstore.s3;

import com.typesafe.config.Config;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link S3ObjectStore} reaches its bucket (docs/s3-object-store.md).
 *
 * @param bucket the bucket holding every object
 * @param keyPrefix prepended to every key (for example {@code "cluster-a/"}); "" for none
 * @param endpoint endpoint override for S3-compatible servers (S3Proxy, MinIO); null for AWS
 * @param region signing region, for example {@code us-east-1}
 * @param pathStyle path-style addressing ({@code http://host/bucket/key}); needed by most
 *     S3-compatible servers
 * @param accessKeyId static access key id, or null to use the SDK's default credentials chain
 * @param secretAccessKey static secret key (with {@code accessKeyId}), or null
 * @param requestTimeout time limit of one HTTP attempt
 * @param maxAttempts attempts per call, including the first (at least 1)
 * @param backoffBase first retry delay; doubles per attempt, with jitter
 * @param backoffMax largest retry delay
 * @param maxConcurrency most HTTP requests in flight at once
 */
public record S3Settings(
    String bucket,
    String keyPrefix,
    URI endpoint,
    String region,
    boolean pathStyle,
    String accessKeyId,
    String secretAccessKey,
    Duration requestTimeout,
    int maxAttempts,
    Duration backoffBase,
    Duration backoffMax,
    int maxConcurrency) {

  /** Default region when none is given. */
  public static final String DEFAULT_REGION = "us-east-1";

  public S3Settings {
    Objects.requireNonNull(bucket, "bucket");
    if (bucket.isBlank()) {
      throw new IllegalArgumentException("bucket must not be blank");
    }
    keyPrefix = keyPrefix == null ? "" : keyPrefix;
    region = region == null || region.isBlank() ? DEFAULT_REGION : region;
    if ((accessKeyId == null) != (secretAccessKey == null)) {
      throw new IllegalArgumentException(
          "give both accessKeyId and secretAccessKey, or neither (default credentials chain)");
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(backoffBase, "backoffBase");
    Objects.requireNonNull(backoffMax, "backoffMax");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("maxConcurrency must be at least 1");
    }
  }

  /**
   * Reads {@code millrace.objectstore.s3} of {@code root} (keys documented in the module's
   * reference.conf). An empty endpoint means AWS; empty credentials mean the default chain.
   *
   * @throws IllegalArgumentException if the bucket is empty or a value is invalid
   */
  public static S3Settings fromConfig(Config root) {
    Config c = root.getConfig("millrace.objectstore.s3");
    String endpoint = c.getString("endpoint");
    String accessKey = c.getString("access-key-id");
    String secret = c.getString("secret-access-key");
    return new S3Settings(
        c.getString("bucket"),
        c.getString("key-prefix"),
        endpoint.isBlank() ? null : URI.create(endpoint),
        c.getString("region"),
        c.getBoolean("path-style"),
        accessKey.isEmpty() ? null : accessKey,
        secret.isEmpty() ? null : secret,
        c.getDuration("request-timeout"),
        c.getInt("max-attempts"),
        c.getDuration("backoff-base"),
        c.getDuration("backoff-max"),
        c.getInt("max-concurrency"));
  }

  /**
   * Settings for {@code bucket} on AWS with the defaults: no prefix, region {@value
   * #DEFAULT_REGION}, virtual-hosted addressing, default credentials chain, 10 s per attempt, 4
   * attempts, backoff 100 ms doubling up to 2 s, 64 concurrent requests.
   */
  public static S3Settings of(String bucket) {
    return new S3Settings(
        bucket,
        "",
        null,
        DEFAULT_REGION,
        false,
        null,
        null,
        Duration.ofSeconds(10),
        4,
        Duration.ofMillis(100),
        Duration.ofSeconds(2),
        64);
  }

  /** An S3-compatible server at {@code endpoint}: path-style addressing. */
  public S3Settings withEndpoint(URI endpoint) {
    return with(
        c -> {
          c.endpoint = endpoint;
          c.pathStyle = true;
        });
  }

  public S3Settings withKeyPrefix(String keyPrefix) {
    return with(c -> c.keyPrefix = keyPrefix);
  }

  public S3Settings withRegion(String region) {
    return with(c -> c.region = region);
  }

  public S3Settings withPathStyle(boolean pathStyle) {
    return with(c -> c.pathStyle = pathStyle);
  }

  /** Static credentials instead of the default chain. */
  public S3Settings withCredentials(String accessKeyId, String secretAccessKey) {
    return with(
        c -> {
          c.accessKeyId = accessKeyId;
          c.secretAccessKey = secretAccessKey;
        });
  }

  /** Per-attempt timeout, attempts per call and the retry backoff. */
  public S3Settings withRetries(
      Duration requestTimeout, int maxAttempts, Duration backoffBase, Duration backoffMax) {
    return with(
        c -> {
          c.requestTimeout = requestTimeout;
          c.maxAttempts = maxAttempts;
          c.backoffBase = backoffBase;
          c.backoffMax = backoffMax;
        });
  }

  public S3Settings withMaxConcurrency(int maxConcurrency) {
    return with(c -> c.maxConcurrency = maxConcurrency);
  }

  /** A copy with {@code change} applied to its fields, validated like any new settings. */
  private S3Settings with(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /** The fields of a settings value, to change some of them and build a new one. */
  private static final class Copy {
    String bucket;
    String keyPrefix;
    URI endpoint;
    String region;
    boolean pathStyle;
    String accessKeyId;
    String secretAccessKey;
    Duration requestTimeout;
    int maxAttempts;
    Duration backoffBase;
    Duration backoffMax;
    int maxConcurrency;

    Copy(S3Settings s) {
      bucket = s.bucket;
      keyPrefix = s.keyPrefix;
      endpoint = s.endpoint;
      region = s.region;
      pathStyle = s.pathStyle;
      accessKeyId = s.accessKeyId;
      secretAccessKey = s.secretAccessKey;
      requestTimeout = s.requestTimeout;
      maxAttempts = s.maxAttempts;
      backoffBase = s.backoffBase;
      backoffMax = s.backoffMax;
      maxConcurrency = s.maxConcurrency;
    }

    S3Settings build() {
      return new S3Settings(
          bucket,
          keyPrefix,
          endpoint,
          region,
          pathStyle,
          accessKeyId,
          secretAccessKey,
          requestTimeout,
          maxAttempts,
          backoffBase,
          backoffMax,
          maxConcurrency);
    }
  }

  /**
   * The longest a call can take before it fails: every attempt timing out plus the largest backoffs
   * between them.
   */
  public Duration callTimeout() {
    return requestTimeout.multipliedBy(maxAttempts).plus(backoffMax.multipliedBy(maxAttempts - 1));
  }

  @Override
  public String toString() {
    return "S3Settings[bucket="
        + bucket
        + ", keyPrefix="
        + keyPrefix
        + ", endpoint="
        + endpoint
        + ", region="
        + region
        + ", pathStyle="
        + pathStyle
        + ", credentials="
        + (accessKeyId == null ? "default-chain" : "static " + accessKeyId)
        + ", requestTimeout="
        + requestTimeout
        + ", maxAttempts="
        + maxAttempts
        + ", backoff="
        + backoffBase
        + ".."
        + backoffMax
        + ", maxConcurrency="
        + maxConcurrency
        + "]";
  }
}
