package io.millrace.objectstore.local;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes a golden data dir of layout 2 (read by {@link JournalGoldenFilesTest}): a layout-1 object,
 * then journal puts and a delete, in the journal format version this code writes. Run once when the
 * layout or journal format version changes, into a new directory, never to update the files of an
 * existing version: {@code java -cp <test classpath>
 * io.millrace.objectstore.local.JournalGoldenFiles <new dir>}. Written so far: {@code
 * src/test/resources/golden/local-object-store-v2} (journal format 1) and {@code
 * src/test/resources/golden/local-object-store-v2-journal-2} (journal format 2).
 */
public final class JournalGoldenFiles {

  static final String V1_KEY = "wal/ch-1/00000000000000000001";
  static final String DELETED_KEY = "wal/ch-1/00000000000000000002";
  static final String SEGMENT_KEY = "segments/s-1/00000000000000000000-00000000000000000009";
  static final String CHUNK_KEY = "wal/ch-1/00000000000000000003";
  static final String ODD_KEY = "Odd Key/a.b";

  static final JournalObjectStore.Options OPTIONS =
      new JournalObjectStore.Options(1, 256 << 10, 64 << 10);

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    try (LocalDirectoryObjectStore v1 = new LocalDirectoryObjectStore(root)) {
      v1.putIfAbsent(V1_KEY, bytes("layout one")).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    try (JournalObjectStore s = new JournalObjectStore(root, OPTIONS)) {
      for (var step :
          List.of(
              s.putIfAbsent(DELETED_KEY, bytes("chunk two")),
              s.putIfAbsent(SEGMENT_KEY, bytes("segment")),
              s.putIfAbsent(CHUNK_KEY, bytes("chunk three")),
              s.putIfAbsent(ODD_KEY, bytes("odd")))) {
        step.toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      s.delete(DELETED_KEY).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    // Opening again cuts the written file to its records; drop the empty preallocated ones.
    new JournalObjectStore(root, OPTIONS).close();
    try (Stream<Path> files = Files.list(root.resolve(JournalObjectStore.JOURNAL_DIR))) {
      for (Path p : files.toList()) {
        if (Files.size(p) == OPTIONS.journalFileBytes()) {
          Files.delete(p);
        }
      }
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private JournalGoldenFiles() {}
}
