package io.millrace.core.auth;

import java.nio.charset.StandardCharsets;

/** Access token ids (spec section 1.1): 1 to 96 bytes of UTF-8, no NUL. */
public final class AccessTokenIds {
  public static final int MAX_BYTES = 96;

  private AccessTokenIds() {}

  /** What is wrong with {@code id}, or null when it is a valid id. */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return "access token id must not be empty";
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return "access token id must be at most " + MAX_BYTES + " bytes";
    }
    if (id.indexOf('\0') >= 0) {
      return "access token id must not contain NUL";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c)
              && i + 1 < id.length()
              && Character.isLowSurrogate(id.charAt(++i)))) {
        return "access token id must be valid UTF-8";
      }
    }
    return null;
  }
}
