package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreContractTest;

class SqliteMetadataStoreInMemoryContractTest extends MetadataStoreContractTest {
  @Override
  protected MetadataStore newStore() {
    return SqliteMetadataStore.inMemory();
  }
}
