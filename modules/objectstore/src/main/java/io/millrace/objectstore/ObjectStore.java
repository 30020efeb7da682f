package io.millrace.objectstore;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The object-storage port: WAL chunks, seals and segments live here. Every write is create-only:
 * once {@link #putIfAbsent} of a key has completed successfully, the object is durable and no later
 * write can replace it. Implementations: local directory, in-memory (with fault injection), S3.
 *
 * <p>All calls are asynchronous and never block the caller's thread. Failures complete the stage
 * exceptionally with {@link ObjectAlreadyExistsException} (create-only conflict) or {@link
 * ObjectStoreException} (I/O or service failure; the caller may retry).
 */
public interface ObjectStore extends AutoCloseable {

  /**
   * Creates {@code key} with {@code data} if no object has that key. Completes normally once the
   * object is durable; completes with {@link ObjectAlreadyExistsException} if the key exists (even
   * when the existing content is identical).
   *
   * <p>{@code data} is handed over: the caller must not modify the array after the call (an
   * implementation may write from it until the stage completes instead of copying it first; a retry
   * may pass the same array again). Every caller passes an array its encoder has just produced.
   */
  CompletionStage<Void> putIfAbsent(String key, byte[] data);

  /** The whole object, or empty if there is no such key. */
  CompletionStage<Optional<byte[]>> get(String key);

  /**
   * {@code length} bytes from {@code offset} (fewer if the object ends first), or empty if there is
   * no such key.
   */
  CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length);

  /**
   * Keys starting with {@code prefix} and strictly greater than {@code startAfter} (null or "" for
   * no bound), in lexicographic (byte) order, at most {@code limit} of them.
   */
  CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit);

  /** Deletes {@code key}; deleting a missing key succeeds. */
  CompletionStage<Void> delete(String key);

  @Override
  default void close() {}
}
