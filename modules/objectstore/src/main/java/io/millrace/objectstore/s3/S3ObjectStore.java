package io.millrace.objectstore.s3;

import static io.millrace.core.Failures.unwrap;

import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on an S3 API bucket (AWS S3 or a compatible server such as S3Proxy), with the
 * AWS SDK v2 asynchronous client on Netty. Documented in docs/s3-object-store.md.
 *
 * <ul>
 *   <li>{@link #putIfAbsent} is a PUT with {@code If-None-Match: *}: the server creates the object
 *       only if the key is absent, atomically. 412 Precondition Failed, and 409
 *       ConditionalRequestConflict (a concurrent conditional write of the same key), complete with
 *       {@link ObjectAlreadyExistsException}. When an attempt times out after landing and the retry
 *       gets 412, the call also reports {@link ObjectAlreadyExistsException}; callers that must
 *       know compare the stored content (the engine does).
 *   <li>{@link #getRange} is a ranged GET; a range starting at or past the end (416) yields zero
 *       bytes, a missing key (404) yields empty.
 *   <li>{@link #list} pages through ListObjectsV2 ({@code prefix}, {@code start-after}).
 *   <li>{@link #delete} succeeds for missing keys (S3 semantics).
 * </ul>
 *
 * Every other failure (connection refused, timeouts, 5xx after the retries, 403, missing bucket)
 * completes the stage with {@link ObjectStoreException}, which callers treat as retryable. Each
 * HTTP attempt is bounded by {@link S3Settings#requestTimeout()}, and the SDK retries at most
 * {@link S3Settings#maxAttempts()} times with exponential backoff, so no call hangs. Stages
 * complete on the SDK's response threads, never on the caller's; nothing here blocks.
 */
public final class S3ObjectStore implements ObjectStore {

  private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);

  /** Returned by a failure mapping of {@link #call} to complete the stage with null. */
  private static final Object NULL_RESULT = new Object();

  private final S3Settings settings;
  private final S3AsyncClient client;
  private final SdkAsyncHttpClient http;

  /** A store on {@code settings.bucket()}; it does not create the bucket or contact the server. */
  public S3ObjectStore(S3Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.http =
        NettyNioAsyncHttpClient.builder()
            .maxConcurrency(settings.maxConcurrency())
            .connectionTimeout(settings.requestTimeout())
            .readTimeout(settings.requestTimeout())
            .writeTimeout(settings.requestTimeout())
            .connectionAcquisitionTimeout(settings.callTimeout())
            .build();
    AwsCredentialsProvider credentials =
        settings.accessKeyId() == null
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(
                AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
    BackoffStrategy backoff =
        BackoffStrategy.exponentialDelay(settings.backoffBase(), settings.backoffMax());
    S3AsyncClientBuilder builder =
        S3AsyncClient.builder()
            .httpClient(http)
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            .forcePathStyle(settings.pathStyle())
            // Checksums only where S3 requires them: S3-compatible servers differ in their support
            // of trailing checksums; Millrace's formats carry their own CRC32C per section.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(
                ClientOverrideConfiguration.builder()
                    .apiCallAttemptTimeout(settings.requestTimeout())
                    .apiCallTimeout(settings.callTimeout())
                    .retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder()
                            .maxAttempts(settings.maxAttempts())
                            .backoffStrategy(backoff)
                            .throttlingBackoffStrategy(backoff)
                            .circuitBreakerEnabled(false)
                            .build())
                    .build());
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint());
    }
    this.client = builder.build();
    log.info("S3 object store created: {}.", settings);
  }

  /** The settings this store was built with. */
  public S3Settings settings() {
    return settings;
  }

  @Override
  public CompletionStage<Void> putIfAbsent(String key, byte[] data) {
    Objects.requireNonNull(key, "key");
    byte[] copy = data.clone();
    return call(
        "put",
        key,
        () ->
            client
                .putObject(
                    b -> b.bucket(settings.bucket()).key(fullKey(key)).ifNoneMatch("*"),
                    AsyncRequestBody.fromBytes(copy))
                .thenApply(r -> (Void) null),
        e -> {
          if (e instanceof AwsServiceException s
              && (s.statusCode() == 412
                  || (s.statusCode() == 409 && "ConditionalRequestConflict".equals(code(s))))) {
            return new ObjectAlreadyExistsException(key);
          }
          return null;
        });
  }

  @Override
  public CompletionStage<Optional<byte[]>> get(String key) {
    Objects.requireNonNull(key, "key");
    return call(
        "get",
        key,
        () ->
            client
                .getObject(
                    b -> b.bucket(settings.bucket()).key(fullKey(key)),
                    AsyncResponseTransformer.<GetObjectResponse>toBytes())
                .thenApply(bytes -> Optional.of(bytes.asByteArrayUnsafe())),
        e -> isNoSuchKey(e) ? Optional.<byte[]>empty() : null);
  }

  @Override
  public CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length) {
    Objects.requireNonNull(key, "key");
    if (offset < 0 || length < 0) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("negative offset or length: " + offset + ", " + length));
    }
    if (length == 0) {
      // An empty range cannot be expressed in a Range header: answer from the object's existence.
      return call(
          "head",
          key,
          () ->
              client
                  .headObject(b -> b.bucket(settings.bucket()).key(fullKey(key)))
                  .thenApply(r -> Optional.of(new byte[0])),
          e -> isNoSuchKey(e) ? Optional.<byte[]>empty() : null);
    }
    long last = offset + length - 1;
    String range = "bytes=" + offset + "-" + (last < offset ? Long.MAX_VALUE : last);
    return call(
        "ranged get",
        key,
        () ->
            client
                .getObject(
                    b -> b.bucket(settings.bucket()).key(fullKey(key)).range(range),
                    AsyncResponseTransformer.<GetObjectResponse>toBytes())
                .thenApply(S3ObjectStore::rangeBytes),
        e -> {
          if (isNoSuchKey(e)) {
            return Optional.<byte[]>empty();
          }
          if (e instanceof AwsServiceException s && s.statusCode() == 416) {
            return Optional.of(new byte[0]);
          }
          return null;
        });
  }

  private static Optional<byte[]> rangeBytes(ResponseBytes<GetObjectResponse> bytes) {
    return Optional.of(bytes.asByteArrayUnsafe());
  }

  @Override
  public CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit) {
    Objects.requireNonNull(prefix, "prefix");
    if (limit <= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    String after = startAfter == null || startAfter.isEmpty() ? null : fullKey(startAfter);
    List<ObjectInfo> out = new ArrayList<>();
    return call(
        "list", prefix, () -> listPage(fullKey(prefix), after, null, limit, out), e -> null);
  }

  private CompletableFuture<List<ObjectInfo>> listPage(
      String prefix, String startAfter, String token, int limit, List<ObjectInfo> out) {
    ListObjectsV2Request.Builder req =
        ListObjectsV2Request.builder()
            .bucket(settings.bucket())
            .prefix(prefix)
            .maxKeys(Math.min(1000, limit - out.size()));
    if (token != null) {
      req.continuationToken(token);
    } else if (startAfter != null) {
      req.startAfter(startAfter);
    }
    return client
        .listObjectsV2(req.build())
        .thenCompose(
            (ListObjectsV2Response page) -> {
              for (S3Object o : page.contents()) {
                if (out.size() >= limit) {
                  break;
                }
                String key = o.key();
                if (!key.startsWith(settings.keyPrefix())) {
                  continue;
                }
                out.add(new ObjectInfo(key.substring(settings.keyPrefix().length()), o.size()));
              }
              if (out.size() < limit
                  && Boolean.TRUE.equals(page.isTruncated())
                  && page.nextContinuationToken() != null) {
                return listPage(prefix, startAfter, page.nextContinuationToken(), limit, out);
              }
              return CompletableFuture.completedFuture(List.copyOf(out));
            });
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    Objects.requireNonNull(key, "key");
    return call(
        "delete",
        key,
        () ->
            client
                .deleteObject(b -> b.bucket(settings.bucket()).key(fullKey(key)))
                .thenApply(r -> (Void) null),
        e -> isNoSuchKey(e) ? NULL_RESULT : null);
  }

  /**
   * Checks that the bucket answers with these settings (a HeadBucket request, with the usual
   * retries), so that a wrong endpoint, bucket or credentials fail a node's start with a clear
   * message rather than its first write. Fails with {@link ObjectStoreException} naming the bucket
   * and endpoint.
   */
  public CompletionStage<Void> verifyBucket() {
    return call(
        "HeadBucket",
        settings.bucket(),
        () ->
            client.headBucket(b -> b.bucket(settings.bucket())).thenApply(response -> (Void) null),
        e -> {
          String why =
              e instanceof AwsServiceException s && s.statusCode() == 404
                  ? "it does not exist"
                  : describe(e);
          return new ObjectStoreException(
              "S3 bucket "
                  + settings.bucket()
                  + " at "
                  + (settings.endpoint() == null ? "AWS " + settings.region() : settings.endpoint())
                  + " is not usable: "
                  + why,
              e);
        });
  }

  /**
   * Creates the bucket if it does not exist (for tests and development; production buckets are
   * provisioned outside Millrace).
   */
  public CompletionStage<Void> createBucketIfMissing() {
    return client
        .headBucket(b -> b.bucket(settings.bucket()))
        .thenApply(r -> (Void) null)
        .exceptionallyCompose(
            t -> {
              Throwable e = unwrap(t);
              if (e instanceof AwsServiceException s && s.statusCode() == 404) {
                return client
                    .createBucket(b -> b.bucket(settings.bucket()))
                    .thenApply(r -> (Void) null)
                    .exceptionallyCompose(
                        t2 ->
                            unwrap(t2) instanceof BucketAlreadyOwnedByYouException
                                ? CompletableFuture.completedFuture(null)
                                : CompletableFuture.failedFuture(t2));
              }
              return CompletableFuture.failedFuture(e);
            })
        .handle(
            (v, t) -> {
              if (t != null) {
                Throwable e = unwrap(t);
                throw new CompletionException(
                    new ObjectStoreException(
                        "cannot create bucket " + settings.bucket() + ": " + describe(e), e));
              }
              return v;
            });
  }

  /**
   * Closes the client. The HTTP client's event loops shut down in the background (Netty waits a
   * quiet period of about 2 s), so this returns at once; calls after it fail.
   */
  @Override
  public void close() {
    client.close();
    Thread closer = new Thread(http::close, "s3-object-store-close");
    closer.setDaemon(true);
    closer.start();
  }

  // ---------------------------------------------------------------- internals

  private String fullKey(String key) {
    return settings.keyPrefix().isEmpty() ? key : settings.keyPrefix() + key;
  }

  /**
   * Runs one SDK call and maps its failure: {@code special} turns a failure into a result (a
   * non-null value, or {@link #NULL_RESULT} for null), an {@link ObjectStoreException} to fail
   * with, or null for the default mapping to {@link ObjectStoreException}. An exception thrown
   * while building the request is mapped the same way, so the caller always gets a stage.
   */
  private <T> CompletionStage<T> call(
      String op,
      String key,
      java.util.function.Supplier<CompletableFuture<T>> request,
      java.util.function.Function<Throwable, Object> special) {
    CompletableFuture<T> started = start(request);
    CompletableFuture<T> result = new CompletableFuture<>();
    started.whenComplete(
        (v, t) -> {
          if (t == null) {
            result.complete(v);
            return;
          }
          Throwable e = unwrap(t);
          Object mapped;
          try {
            mapped = special.apply(e);
          } catch (RuntimeException m) {
            mapped = null;
          }
          if (mapped == NULL_RESULT) {
            result.complete(null);
          } else if (mapped instanceof ObjectStoreException ose) {
            result.completeExceptionally(ose);
          } else if (mapped != null) {
            @SuppressWarnings("unchecked")
            T value = (T) mapped;
            result.complete(value);
          } else if (e instanceof IllegalArgumentException) {
            result.completeExceptionally(e);
          } else {
            log.debug("S3 {} of {} in bucket {} failed.", op, key, settings.bucket(), e);
            result.completeExceptionally(
                new ObjectStoreException(
                    "S3 "
                        + op
                        + " of "
                        + key
                        + " in bucket "
                        + settings.bucket()
                        + " failed: "
                        + describe(e),
                    e));
          }
        });
    return result;
  }

  private static boolean isNoSuchKey(Throwable e) {
    if (!(e instanceof AwsServiceException s) || s.statusCode() != 404) {
      return false;
    }
    String code = code(s);
    // A missing bucket is a configuration error, not a missing object.
    return !"NoSuchBucket".equals(code);
  }

  private static String code(AwsServiceException e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  private static String describe(Throwable e) {
    if (e instanceof AwsServiceException s) {
      return "HTTP " + s.statusCode() + " " + code(s) + " (" + s.getMessage() + ")";
    }
    return e.toString();
  }

  /** The request's future; a request that throws instead of returning one fails it. */
  private static <T> CompletableFuture<T> start(
      java.util.function.Supplier<CompletableFuture<T>> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
