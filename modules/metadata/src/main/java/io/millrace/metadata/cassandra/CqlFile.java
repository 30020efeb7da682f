package io.millrace.metadata.cassandra;

import io.millrace.metadata.MetadataStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a versioned CQL resource next to this class: drops {@code --} comment lines, replaces
 * {@code ${keyspace}} and splits statements at a {@code ;} that ends a line.
 */
final class CqlFile {
  private CqlFile() {}

  static List<String> statements(String name, String keyspace) {
    String text;
    try (InputStream in = CqlFile.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new MetadataStoreException("schema resource " + name + " is missing", null);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MetadataStoreException("cannot read schema resource " + name, e);
    }
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      current.append(line.replace("${keyspace}", keyspace)).append('\n');
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
