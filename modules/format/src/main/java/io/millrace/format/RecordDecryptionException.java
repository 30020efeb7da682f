package io.millrace.format;

/**
 * A sealed record that cannot be opened: the key is not the one it was sealed with, the envelope
 * was altered or moved from another stream, or it is not an envelope of a known version. The
 * message names what failed, never key material.
 */
public class RecordDecryptionException extends RuntimeException {
  public RecordDecryptionException(String message) {
    super(message);
  }
}
