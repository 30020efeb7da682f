package io.millrace.objectstore.local;

import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store with its default object size limit (4 MiB) on 8 MiB journal files (the default
 * 64 MiB would write 64 MiB of zeros per test), and with tiny journal files so that puts roll
 * files.
 */
class JournalObjectStoreContractTest extends ObjectStoreContractTest {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() {
    return new JournalObjectStore(
        dir.resolve("objects"),
        new JournalObjectStore.Options(
            2, 8 << 20, JournalObjectStore.Options.defaults().largeObjectBytes()));
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
