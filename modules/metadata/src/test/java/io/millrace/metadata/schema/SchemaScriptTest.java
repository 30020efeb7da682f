package io.millrace.metadata.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.metadata.MetadataStoreException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemaScriptTest {

  @Test
  void commentAndBlankLinesAreDroppedAndAStatementEndsWithASemicolonAtALineEnd() {
    String text =
        "-- a comment; not a statement\n"
            + "\n"
            + "CREATE TABLE ${keyspace}.t (\n"
            + "  a text -- trailing; kept\n"
            + ");\n"
            + "  -- indented comment\n"
            + "INSERT INTO ${keyspace}.t(a) VALUES ('x;y');\n";

    List<String> statements = SchemaScript.parse("V1__t.sql", text, Map.of("keyspace", "ks"));

    assertThat(statements)
        .containsExactly(
            "CREATE TABLE ks.t (\n  a text -- trailing; kept\n)",
            "INSERT INTO ks.t(a) VALUES ('x;y')");
  }

  @Test
  void aFileEndingWithoutASemicolonIsRefused() {
    assertThatThrownBy(() -> SchemaScript.parse("V1__t.sql", "CREATE TABLE t (a text)\n", Map.of()))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("V1__t.sql");
  }

  @Test
  void aMissingResourceIsReportedByName() {
    assertThatThrownBy(
            () -> SchemaScript.statements(SchemaScriptTest.class, "V9__none.sql", Map.of()))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("V9__none.sql");
  }

  @Test
  void aRecordedVersionNewerThanTheBuildIsRefusedNamingIt() {
    SchemaMigrations migrations =
        new SchemaMigrations(SchemaScriptTest.class, List.of("V1__a.sql"));

    migrations.requireSupported(1, "the database");
    assertThatThrownBy(() -> migrations.requireSupported(2, "the database"))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessage("the database has schema version 2, newer than this build supports (1)");
  }
}
