package io.millrace.objectstore.local;

import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store with its defaults, and with tiny journal files so that puts roll files. */
class JournalObjectStoreContractTest extends ObjectStoreContractTest {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() {
    return new JournalObjectStore(dir.resolve("objects"));
  }

  /** 256 KiB journal files, objects over 64 KiB as files: rolls and both kinds of objects. */
  @Nested
  class WithSmallJournalFiles extends ObjectStoreContractTest {
    @TempDir Path smallDir;

    @Override
    protected ObjectStore newStore() {
      return new JournalObjectStore(
          smallDir.resolve("objects"), new JournalObjectStore.Options(2, 256 << 10, 64 << 10));
    }
  }
}
