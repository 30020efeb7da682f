package io.millrace.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

/** Byte-array gzip and bounded inflation, shared by responses, request bodies and S2S frames. */
final class Compressed {
  private Compressed() {}

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 2 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads {@code in} (a decompressing stream) to its end into an array of {@code initialCapacity};
   * more than {@code maxBytes} throws what {@code tooLarge} makes before that much is buffered.
   */
  static byte[] readAtMost(
      InputStream in, long maxBytes, int initialCapacity, Supplier<RuntimeException> tooLarge)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(initialCapacity);
    byte[] buf = new byte[16 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > maxBytes) {
        throw tooLarge.get();
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }
}
