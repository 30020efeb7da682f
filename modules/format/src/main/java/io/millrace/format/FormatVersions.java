package io.millrace.format;

/** The version rule every Millrace object format shares (docs/formats/*.md, "Compatibility"). */
final class FormatVersions {
  private FormatVersions() {}

  /**
   * Accepts an object written at {@code version} that promises readers of {@code minCompatible} or
   * later can read it, when this reader knows formats up to {@code readerVersion}.
   */
  static void check(String what, int version, int minCompatible, int readerVersion) {
    if (version < 1) {
      throw new CorruptObjectException(what + ": invalid format version " + version);
    }
    if (minCompatible < 1 || minCompatible > version) {
      throw new CorruptObjectException(
          what
              + ": invalid minimum compatible version "
              + minCompatible
              + " for format version "
              + version);
    }
    if (minCompatible > readerVersion) {
      throw new CorruptObjectException(
          what
              + ": written in format version "
              + version
              + " which needs a reader of version "
              + minCompatible
              + " or later; this reader knows up to version "
              + readerVersion);
    }
  }
}
