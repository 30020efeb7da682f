package io.millrace.http;

import java.util.regex.Pattern;

/**
 * What a server-side failure may tell a client (issue 14 item 6, issue 10 "Bad input"): the message
 * of a 5xx error body never carries server file paths or Java class names (an object-store I/O
 * error names the file it failed on; a driver error its exception class). The full message stays in
 * the server's log; the client gets the rest of the sentence.
 */
final class ClientMessages {
  private ClientMessages() {}

  /** {@code java.io.IOException: }, {@code com.foo.BarError}, {@code SomeException: }. */
  private static final Pattern CLASS_NAMES =
      Pattern.compile(
          "\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*\\b:?\\s?"
              + "|\\b[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\\b:?\\s?");

  /** An absolute path (Unix or Windows), not a part of a name such as {@code a/b}. */
  private static final Pattern PATHS =
      Pattern.compile("(?<![A-Za-z0-9._~-])(?:/|[A-Za-z]:\\\\)[^\\s'\",;()]*");

  /** {@code message} fit for a 5xx body: without paths and class names, never empty. */
  static String forServerError(String message) {
    if (message == null || message.isBlank()) {
      return "internal error";
    }
    String m = CLASS_NAMES.matcher(message).replaceAll("");
    m = PATHS.matcher(m).replaceAll("<path>");
    m = m.replaceAll("\\s{2,}", " ").strip();
    return m.isEmpty() ? "internal error" : m;
  }

  /** {@code message} as a client may see it with an error of HTTP {@code status}. */
  static String forStatus(int status, String message) {
    return status >= 500 ? forServerError(message) : message == null ? "" : message;
  }
}
