package io.millrace.metadata.schema;

import io.millrace.metadata.MetadataStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The statements of one versioned schema file (SQL for SQLite, CQL for Cassandra): {@code --}
 * comment lines and blank lines are dropped, every {@code ${name}} of {@code variables} is replaced
 * by its value, and a statement ends with a {@code ;} at the end of a line (the {@code ;} is not
 * part of it).
 */
public final class SchemaScript {
  private SchemaScript() {}

  /**
   * Reads the resource {@code name} next to {@code anchor}.
   *
   * @throws MetadataStoreException if the resource is missing, unreadable, or ends without {@code
   *     ;}
   */
  public static List<String> statements(
      Class<?> anchor, String name, Map<String, String> variables) {
    String text;
    try (InputStream in = anchor.getResourceAsStream(name)) {
      if (in == null) {
        throw new MetadataStoreException("schema resource " + name + " is missing", null);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MetadataStoreException("cannot read schema resource " + name, e);
    }
    return parse(name, text, variables);
  }

  static List<String> parse(String name, String text, Map<String, String> variables) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      String resolved = line;
      for (Map.Entry<String, String> v : variables.entrySet()) {
        resolved = resolved.replace("${" + v.getKey() + "}", v.getValue());
      }
      current.append(resolved).append('\n');
      if (trimmed.endsWith(";")) {
        String statement = current.toString().strip();
        out.add(statement.substring(0, statement.length() - 1).strip());
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      throw new MetadataStoreException(
          "schema resource " + name + " ends without ';': " + current, null);
    }
    return out;
  }
}
