package io.millrace.objectstore;

/** An object-store call failed (I/O, service, timeout); the caller may retry. */
public class ObjectStoreException extends RuntimeException {
  public ObjectStoreException(String message) {
    super(message);
  }

  public ObjectStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
