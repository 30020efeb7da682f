package io.millrace.objectstore.local;

import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryObjectStoreContractTest extends ObjectStoreContractTest {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() {
    return new LocalDirectoryObjectStore(dir.resolve("objects"));
  }
}
