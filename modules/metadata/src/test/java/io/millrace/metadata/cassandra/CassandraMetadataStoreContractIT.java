package io.millrace.metadata.cassandra;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreContractTest;

/** The metadata contract against a real single-node Cassandra 5.0.9. */
class CassandraMetadataStoreContractIT extends MetadataStoreContractTest {
  @Override
  protected MetadataStore newStore() {
    return CassandraMetadataStore.open(CassandraService.settings());
  }
}
