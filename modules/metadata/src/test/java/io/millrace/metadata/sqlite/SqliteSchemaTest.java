package io.millrace.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SqliteSchemaTest {

  @Test
  void everyMigrationListedExistsAsAResourceAndStartsWithItsVersion() {
    for (int v = 1; v <= SqliteSchema.MIGRATIONS.latest(); v++) {
      assertThat(SqliteSchema.MIGRATIONS.name(v)).startsWith("V" + v + "__").endsWith(".sql");
      assertThat(SqliteSchema.MIGRATIONS.statements(v, Map.of())).isNotEmpty();
    }
  }

  @Test
  void theFirstSchemaFileCreatesTheSixTables() {
    assertThat(SqliteSchema.MIGRATIONS.statements(1, Map.of()))
        .extracting(s -> s.split("\\s+")[2])
        .containsExactly("basins", "streams", "stream_state", "streamlets", "segments", "channels");
  }
}
