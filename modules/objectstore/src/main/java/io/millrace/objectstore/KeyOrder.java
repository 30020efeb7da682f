package io.millrace.objectstore;

import java.util.Comparator;

/**
 * The order in which {@link ObjectStore#list} returns keys: lexicographic by the UTF-8 bytes of the
 * key, which is the order S3 uses. For ASCII keys (all keys Millrace writes) it equals {@link
 * String#compareTo}; it differs only for keys mixing supplementary characters with characters in
 * U+E000..U+FFFF, where UTF-16 and UTF-8 orders disagree. UTF-8 byte order equals Unicode code
 * point order, which is what this comparator compares.
 */
public final class KeyOrder {
  /** Compares keys by code point, equal to comparing their UTF-8 encodings byte by byte. */
  public static final Comparator<String> UTF8 = KeyOrder::compare;

  private KeyOrder() {}

  /** Negative, zero or positive as {@code a} sorts before, equal to, or after {@code b}. */
  public static int compare(String a, String b) {
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
}
