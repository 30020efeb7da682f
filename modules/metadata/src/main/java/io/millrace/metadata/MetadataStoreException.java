package io.millrace.metadata;

/** The metadata store could not be reached or failed; the caller may retry. */
public class MetadataStoreException extends RuntimeException {
  public MetadataStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
