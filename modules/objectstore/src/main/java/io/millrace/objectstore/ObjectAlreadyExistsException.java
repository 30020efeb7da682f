package io.millrace.objectstore;

/** A create-only write found the key already present. */
public class ObjectAlreadyExistsException extends ObjectStoreException {
  private final String key;

  public ObjectAlreadyExistsException(String key) {
    super("object already exists: " + key);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
