package io.millrace.format;

/**
 * A stored object (WAL chunk, seal or segment) cannot be decoded: wrong magic, a version this
 * reader does not understand, a checksum mismatch, a length that does not fit, or truncation. The
 * message names the object part and what is wrong with it.
 */
public class CorruptObjectException extends RuntimeException {
  public CorruptObjectException(String message) {
    super(message);
  }

  public CorruptObjectException(String message, Throwable cause) {
    super(message, cause);
  }
}
