package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteMetadataStoreFileContractTest extends MetadataStoreContractTest {
  @TempDir Path dir;

  @Override
  protected MetadataStore newStore() {
    return SqliteMetadataStore.open(dir.resolve("metadata.db"));
  }
}
