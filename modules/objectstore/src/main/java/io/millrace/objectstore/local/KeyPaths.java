package io.millrace.objectstore.local;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The key to path mapping of {@link LocalDirectoryObjectStore} (see
 * docs/formats/local-object-store.md). A key is split at '/' into segments; every segment but the
 * last names a directory, the last names a file with the suffix {@value #OBJECT_SUFFIX}. Each
 * segment is encoded byte by byte from its UTF-8 form: {@code a-z 0-9 - _} stay as they are, every
 * other byte becomes {@code %XX} (upper-case hex), an empty segment becomes {@value #EMPTY}.
 *
 * <p>So encoded names never contain '.', upper-case letters or '=' except as defined here, which
 * makes the mapping injective and safe for any key: no '..' or absolute paths, no case collisions
 * on case-insensitive file systems, and a key may coexist with longer keys using it as a directory
 * ({@code a} is file {@code a.obj}, {@code a/b} is file {@code b.obj} in directory {@code a}).
 * Temporary files ({@code <name>.obj.<random>.tmp}) can never be taken for objects.
 */
final class KeyPaths {
  static final String OBJECT_SUFFIX = ".obj";
  static final String TEMP_SUFFIX = ".tmp";
  static final String EMPTY = "=";

  /** Longest encoded segment; leaves room for the temp-file suffix within a 255-byte name. */
  static final int MAX_ENCODED_SEGMENT = 200;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private KeyPaths() {}

  /** The relative path of the file holding {@code key}. */
  static Path toPath(Path root, String key) {
    List<String> segments = split(key);
    Path p = root;
    for (int i = 0; i < segments.size(); i++) {
      String enc = encodeSegment(segments.get(i), key);
      p = p.resolve(i == segments.size() - 1 ? enc + OBJECT_SUFFIX : enc);
    }
    return p;
  }

  /**
   * The directory under which every key starting with {@code prefix} lives: the directories of the
   * segments before the prefix's last '/'.
   */
  static Path listBase(Path root, String prefix) {
    int slash = prefix.lastIndexOf('/');
    if (slash < 0) {
      return root;
    }
    Path p = root;
    for (String s : prefix.substring(0, slash).split("/", -1)) {
      p = p.resolve(encodeSegment(s, prefix));
    }
    return p;
  }

  /**
   * The key stored in {@code file} (relative to {@code root}), or empty if it is no object file.
   */
  static Optional<String> toKey(Path root, Path file) {
    Path rel = root.relativize(file);
    StringBuilder key = new StringBuilder();
    int n = rel.getNameCount();
    for (int i = 0; i < n; i++) {
      String name = rel.getName(i).toString();
      if (i == n - 1) {
        if (!name.endsWith(OBJECT_SUFFIX)) {
          return Optional.empty();
        }
        name = name.substring(0, name.length() - OBJECT_SUFFIX.length());
      }
      Optional<String> seg = decodeSegment(name);
      if (seg.isEmpty()) {
        return Optional.empty();
      }
      if (i > 0) {
        key.append('/');
      }
      key.append(seg.get());
    }
    return Optional.of(key.toString());
  }

  static boolean isTempFile(Path file) {
    return file.getFileName().toString().endsWith(TEMP_SUFFIX);
  }

  private static List<String> split(String key) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("object key must not be empty");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < key.length()
          && Character.isLowSurrogate(key.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException("object key is not valid Unicode: " + key);
      }
    }
    return new ArrayList<>(List.of(key.split("/", -1)));
  }

  static String encodeSegment(String segment, String key) {
    if (segment.isEmpty()) {
      return EMPTY;
    }
    StringBuilder sb = new StringBuilder(segment.length());
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    if (sb.length() > MAX_ENCODED_SEGMENT) {
      throw new IllegalArgumentException(
          "object key has a segment longer than the local store supports ("
              + MAX_ENCODED_SEGMENT
              + " encoded bytes): "
              + key);
    }
    return sb.toString();
  }

  static Optional<String> decodeSegment(String name) {
    if (name.equals(EMPTY)) {
      return Optional.of("");
    }
    if (name.isEmpty()) {
      return Optional.empty();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        out.write(c);
      } else if (c == '%'
          && i + 2 < name.length()
          && isHex(name.charAt(i + 1))
          && isHex(name.charAt(i + 2))) {
        out.write(
            Character.digit(name.charAt(i + 1), 16) * 16 + Character.digit(name.charAt(i + 2), 16));
        i += 2;
      } else {
        return Optional.empty();
      }
    }
    String decoded = out.toString(StandardCharsets.UTF_8);
    // Only the canonical encoding of a segment names it; anything else is a foreign file.
    try {
      return encodeSegment(decoded, decoded).equals(name) ? Optional.of(decoded) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  }
}
