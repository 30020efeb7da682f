package io.millrace.engine;

import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An object store that passes every call to another one; a test overrides the calls it holds back,
 * fails or watches. {@link #close} is not passed on: the test closes the store it wraps.
 */
public class ForwardingObjectStore implements ObjectStore {
  protected final ObjectStore inner;

  public ForwardingObjectStore(ObjectStore inner) {
    this.inner = inner;
  }

  @Override
  public CompletionStage<Void> putIfAbsent(String key, byte[] data) {
    return inner.putIfAbsent(key, data);
  }

  @Override
  public CompletionStage<Optional<byte[]>> get(String key) {
    return inner.get(key);
  }

  @Override
  public CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length) {
    return inner.getRange(key, offset, length);
  }

  @Override
  public CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit) {
    return inner.list(prefix, startAfter, limit);
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    return inner.delete(key);
  }
}
