package io.millrace.server;

import com.typesafe.config.Config;
import io.millrace.core.Failures;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.cassandra.CassandraMetadataStore;
import io.millrace.metadata.cassandra.CassandraSettings;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.local.JournalObjectStore;
import io.millrace.objectstore.s3.S3ObjectStore;
import io.millrace.objectstore.s3.S3Settings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The node's two stores, opened from the settings: the embedded (journal) or S3 object store,
 * SQLite or Cassandra metadata. Opening checks that they answer (S3: the bucket exists and the
 * credentials work; Cassandra: a session and the schema), within a bounded time, and fails with a
 * {@link StartupException} whose message names what could not be reached.
 */
final class Stores implements AutoCloseable {
  final ObjectStore objects;
  final MetadataStore metadata;
  private final S3ObjectStore s3;

  private Stores(ObjectStore objects, MetadataStore metadata) {
    this.objects = objects;
    this.metadata = metadata;
    this.s3 = objects instanceof S3ObjectStore s ? s : null;
  }

  /** Opens both stores, or closes what was opened and throws {@link StartupException}. */
  static Stores open(ServerSettings settings, Config config) {
    ObjectStore objects = openObjects(settings, config);
    MetadataStore metadata;
    try {
      metadata = openMetadata(settings, config);
    } catch (RuntimeException e) {
      objects.close();
      throw e;
    }
    return new Stores(objects, metadata);
  }

  private static ObjectStore openObjects(ServerSettings settings, Config config) {
    if (settings.objectStore() == ServerSettings.ObjectStoreKind.LOCAL) {
      JournalObjectStore.Options options;
      try {
        options = JournalObjectStore.Options.fromConfig(config);
      } catch (RuntimeException e) {
        throw new StartupException(
            "Invalid local object store settings (millrace.objectstore.local.*): " + oneLine(e), e);
      }
      try {
        return new JournalObjectStore(settings.objectsDir(), options);
      } catch (RuntimeException e) {
        throw new StartupException(
            "Cannot open the object store at " + settings.objectsDir().toAbsolutePath() + ": " + e,
            e);
      }
    }
    S3Settings s3Settings;
    try {
      s3Settings = S3Settings.fromConfig(config);
    } catch (RuntimeException e) {
      throw new StartupException(
          "Invalid S3 object store settings (millrace.objectstore.s3.*): " + oneLine(e), e);
    }
    S3ObjectStore store;
    try {
      store = new S3ObjectStore(s3Settings);
    } catch (RuntimeException e) {
      throw new StartupException("Cannot create the S3 client: " + oneLine(e), e);
    }
    Duration limit = s3Settings.callTimeout().plusSeconds(5);
    try {
      await(store.verifyBucket(), limit);
    } catch (Exception e) {
      store.close();
      throw new StartupException(
          "Cannot use the object store: "
              + (e instanceof TimeoutException
                  ? "S3 bucket " + s3Settings.bucket() + " did not answer within " + limit
                  : oneLine(e))
              + ".",
          e);
    }
    return store;
  }

  private static MetadataStore openMetadata(ServerSettings settings, Config config) {
    if (settings.metadata() == ServerSettings.MetadataKind.SQLITE) {
      try {
        return SqliteMetadataStore.open(settings.metadataFile());
      } catch (RuntimeException e) {
        throw new StartupException(
            "Cannot open the metadata database "
                + settings.metadataFile().toAbsolutePath()
                + ": "
                + e.getMessage(),
            e);
      }
    }
    CassandraSettings cassandra = cassandraSettings(config);
    try {
      return CassandraMetadataStore.open(cassandra);
    } catch (RuntimeException e) {
      throw new StartupException("Cannot use the metadata store: " + oneLine(e) + ".", e);
    }
  }

  /** The Cassandra settings, or a {@link StartupException} naming the invalid key. */
  static CassandraSettings cassandraSettings(Config config) {
    try {
      return CassandraSettings.fromConfig(config);
    } catch (RuntimeException e) {
      throw new StartupException(
          "Invalid Cassandra settings (millrace.metadata.cassandra.*): " + oneLine(e), e);
    }
  }

  /**
   * True when both stores answer: the metadata store's own check, and for S3 the bucket check.
   * Completes within {@code limit}; never fails.
   */
  CompletionStage<Boolean> healthy(Duration limit) {
    CompletableFuture<Boolean> meta =
        metadata.healthy().toCompletableFuture().exceptionally(t -> false);
    CompletableFuture<Boolean> obj =
        s3 == null
            ? CompletableFuture.completedFuture(true)
            : s3.verifyBucket().toCompletableFuture().handle((v, t) -> t == null);
    return meta.thenCombine(obj, (a, b) -> a && b)
        .completeOnTimeout(false, limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    try {
      objects.close();
    } finally {
      metadata.close();
    }
  }

  private static <T> T await(CompletionStage<T> stage, Duration limit) throws Exception {
    try {
      return stage.toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw cause instanceof Exception ex ? ex : e;
    }
  }

  /** The message of an exception (or its class) on one line. */
  static String oneLine(Throwable e) {
    Throwable t = Failures.unwrap(e);
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return msg.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }
}
