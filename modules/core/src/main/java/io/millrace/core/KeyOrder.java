package io.millrace.core;

import java.util.Comparator;

/**
 * Name and key order by UTF-8 bytes: the order in which the object stores list keys (the order S3
 * uses) and in which Cassandra orders text clustering keys (the metadata listings). For ASCII keys
 * (all keys Millrace writes) it equals {@link String#compareTo}; it differs only for keys mixing
 * supplementary characters with characters in U+E000..U+FFFF, where UTF-16 and UTF-8 orders
 * disagree. UTF-8 byte order equals Unicode code point order, which is what this comparator
 * compares.
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
