package io.millrace.format;

/** TEMPORARY stand-in until the format module lands (API from entrypoints.md). */
public class CorruptObjectException extends RuntimeException {
  public CorruptObjectException(String message) {
    super(message);
  }
}
