package io.millrace.metadata.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CqlFileTest {

  @Test
  void theFirstSchemaFileCreatesTheSixTablesInTheConfiguredKeyspaceIdempotently() {
    List<String> statements = CqlFile.statements("V1__schema.cql", "ks_test");

    assertThat(statements).hasSize(6);
    assertThat(statements)
        .allSatisfy(
            s ->
                assertThat(s)
                    .startsWith("CREATE TABLE IF NOT EXISTS ks_test.")
                    .doesNotContain("${keyspace}")
                    .doesNotEndWith(";"));
    assertThat(statements)
        .extracting(s -> s.substring("CREATE TABLE IF NOT EXISTS ks_test.".length()).split(" ")[0])
        .containsExactly("basins", "streams", "stream_state", "streamlets", "segments", "channels");
  }

  @Test
  void everyMigrationListedExistsAsAResource() {
    for (String name : CassandraMetadataStore.MIGRATIONS) {
      assertThat(CqlFile.statements(name, "k")).isNotEmpty();
    }
  }
}
