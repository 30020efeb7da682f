package io.millrace.metadata.cassandra;

/**
 * Prefix ranges as Cassandra sees text clustering keys: by UTF-8 bytes, which is Unicode code point
 * order ({@link io.millrace.core.KeyOrder}).
 */
final class Names {
  private Names() {}

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
