package io.millrace.metadata.sqlite;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MeteringContractTest;

class SqliteMeteringContractTest extends MeteringContractTest {
  @Override
  protected MetadataStore newStore() {
    return SqliteMetadataStore.inMemory();
  }

  @Override
  protected boolean deletesAtOnce() {
    return true;
  }
}
