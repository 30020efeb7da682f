package io.millrace.metadata.cassandra;

import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MeteringContractTest;

/** The metering table contract against a real single-node Cassandra 5.0.9. */
class CassandraMeteringContractIT extends MeteringContractTest {
  @Override
  protected MetadataStore newStore() {
    return CassandraMetadataStore.open(CassandraService.settings());
  }

  @Override
  protected boolean deletesAtOnce() {
    return false;
  }
}
