package io.millrace.core;

import java.nio.charset.StandardCharsets;

/** Validation of basin and stream names and list filters (spec section 1.1). */
public final class Names {
  private Names() {}

  /** Returns null when the basin name is valid, else the reason it is not. */
  public static String basinNameProblem(String name) {
    if (name == null) {
      return "basin name is missing";
    }
    int len = name.length();
    if (len < Limits.MIN_BASIN_NAME_BYTES || len > Limits.MAX_BASIN_NAME_BYTES) {
      return "basin name must be between 8 and 48 bytes long";
    }
    for (int i = 0; i < len; i++) {
      char c = name.charAt(i);
      if (!isLowerAlnum(c) && c != '-') {
        return "basin name must contain only lowercase letters, digits and hyphens";
      }
    }
    if (!isLowerAlnum(name.charAt(0)) || !isLowerAlnum(name.charAt(len - 1))) {
      return "basin name must begin and end with a lowercase letter or digit";
    }
    return null;
  }

  /** Returns null when the basin list filter (prefix or start_after) is valid. */
  public static String basinFilterProblem(String filter, String what) {
    if (filter == null || filter.isEmpty()) {
      return null;
    }
    if (filter.length() > Limits.MAX_BASIN_NAME_BYTES) {
      return what + " must be at most 48 bytes long";
    }
    for (int i = 0; i < filter.length(); i++) {
      char c = filter.charAt(i);
      if (!isLowerAlnum(c) && c != '-') {
        return what + " must contain only lowercase letters, digits and hyphens";
      }
    }
    if (!isLowerAlnum(filter.charAt(0))) {
      return what + " must begin with a lowercase letter or digit";
    }
    return null;
  }

  /** Returns null when the stream name is valid, else the reason it is not. */
  public static String streamNameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "stream name must not be empty";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_STREAM_NAME_BYTES) {
      return "stream name must be at most 512 bytes long";
    }
    if (name.equals(".") || name.equals("..")) {
      return "stream name must not be '.' or '..'";
    }
    return textProblem(name, "stream name");
  }

  /**
   * Returns null when the text can be stored and given back unchanged: no lone surrogate (it has no
   * UTF-8 form and would be stored as {@code ?}) and no U+FFFD, the replacement character that
   * lossy decoders put for invalid UTF-8 (a name containing it cannot be told apart from a name
   * that was damaged on the way, for example by the HTTP layer decoding {@code %FF} in a path).
   */
  public static String textProblem(String text, String what) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\uFFFD') {
        return what + " must not contain U+FFFD (the replacement character of invalid UTF-8)";
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return what + " must be valid Unicode (it contains a lone surrogate)";
      }
    }
    return null;
  }

  /** Returns null when the stream list filter (prefix or start_after) is valid. */
  public static String streamFilterProblem(String filter, String what) {
    if (filter == null) {
      return null;
    }
    if (filter.getBytes(StandardCharsets.UTF_8).length > 512) {
      return what + " must be at most 512 bytes long";
    }
    return textProblem(filter, what);
  }

  private static boolean isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}
