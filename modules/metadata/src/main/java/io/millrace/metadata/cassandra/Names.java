package io.millrace.metadata.cassandra;

/**
 * Name order and prefix ranges as Cassandra sees text clustering keys: by UTF-8 bytes, which is
 * Unicode code point order.
 */
final class Names {
  private Names() {}

  /** Compares by code point, equal to comparing the UTF-8 encodings byte by byte. */
  static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /**
   * The smallest string greater than every string starting with {@code prefix}, or null if there is
   * none ({@code prefix} is empty or made only of U+10FFFF). Every string {@code s} with {@code
   * prefix <= s < successor} starts with {@code prefix}.
   */
  static String successor(String prefix) {
    String p = prefix;
    while (!p.isEmpty()) {
      int last = p.offsetByCodePoints(p.length(), -1);
      int cp = p.codePointAt(last);
      if (cp < Character.MAX_CODE_POINT) {
        int next = cp + 1;
        if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
          next = Character.MAX_SURROGATE + 1;
        }
        return p.substring(0, last) + new String(Character.toChars(next));
      }
      p = p.substring(0, last);
    }
    return null;
  }
}
