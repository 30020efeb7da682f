package io.millrace.metadata.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.metadata.schema.SchemaScript;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CassandraSchemaTest {

  @Test
  void theFirstSchemaFileCreatesTheSixTablesInTheConfiguredKeyspaceIdempotently() {
    List<String> statements =
        SchemaScript.statements(
            CassandraSchema.class, "V1__schema.cql", Map.of("keyspace", "ks_test"));

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
    for (String name : CassandraSchema.MIGRATIONS.files()) {
      assertThat(SchemaScript.statements(CassandraSchema.class, name, Map.of("keyspace", "k")))
          .isNotEmpty();
    }
  }
}
