package io.millrace.metadata.schema;

import io.millrace.metadata.MetadataStoreException;
import java.util.List;
import java.util.Map;

/**
 * The schema versions of one store: version {@code n} is the {@code n}-th file of {@code files}, a
 * resource next to {@code anchor} read by {@link SchemaScript}. A released file is never edited;
 * every change is a new file at the end. How a version is applied and recorded in {@code
 * schema_version} is up to the store (SQLite: one transaction per file; Cassandra: statement by
 * statement, every statement idempotent).
 */
public record SchemaMigrations(Class<?> anchor, List<String> files) {

  public SchemaMigrations {
    files = List.copyOf(files);
  }

  /** The newest version this build knows. */
  public int latest() {
    return files.size();
  }

  /** The file name of {@code version} (1-based). */
  public String name(int version) {
    return files.get(version - 1);
  }

  /** The statements of {@code version}, with {@code variables} replaced. */
  public List<String> statements(int version, Map<String, String> variables) {
    return SchemaScript.statements(anchor, name(version), variables);
  }

  /**
   * Refuses a database whose recorded version is newer than this build knows.
   *
   * @param database what the message calls the database, e.g. "the metadata database"
   * @throws MetadataStoreException naming the recorded version
   */
  public void requireSupported(int current, String database) {
    if (current > latest()) {
      throw new MetadataStoreException(
          database
              + " has schema version "
              + current
              + ", newer than this build supports ("
              + latest()
              + ")",
          null);
    }
  }
}
