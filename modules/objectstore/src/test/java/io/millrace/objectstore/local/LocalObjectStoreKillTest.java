package io.millrace.objectstore.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.testsupport.KilledWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each embedded object store layout under SIGKILL: kills a writer process with SIGKILL while it
 * writes objects, then checks that every object it saw acknowledged is there with its full content
 * and that no partially written object is visible.
 */
class LocalObjectStoreKillTest {

  /** The layouts of the embedded object store, as the writer process and the checker open them. */
  enum Layout {
    /** Layout 1: one file per object. */
    DIRECTORY,
    /** Layout 2 with 4 MiB journal files: the writer rolls files while it is killed. */
    JOURNAL;

    ObjectStore open(Path root) {
      return this == DIRECTORY
          ? new LocalDirectoryObjectStore(root)
          : new JournalObjectStore(root, new JournalObjectStore.Options(2, 4 << 20, 1 << 20));
    }
  }

  @TempDir Path dir;

  private static final int SIZE = 256 * 1024;

  /** The content of chunk {@code seq}: deterministic, so the checker can recompute it. */
  static byte[] content(long seq) {
    byte[] b = new byte[SIZE];
    new Random(seq).nextBytes(b);
    return b;
  }

  static String key(long seq) {
    return String.format("wal/kill-test/%020d", seq);
  }

  /**
   * The writer process ({@code args}: root directory, {@link Layout} name): puts chunks 0, 1, 2,
   * ... with 4 in flight, printing each acked seq.
   */
  public static void main(String[] args) throws Exception {
    ObjectStore store = Layout.valueOf(args[1]).open(Path.of(args[0]));
    for (long seq = 0; ; seq += 4) {
      List<java.util.concurrent.CompletableFuture<Void>> inFlight = new ArrayList<>();
      for (long s = seq; s < seq + 4; s++) {
        long acked = s;
        inFlight.add(
            store
                .putIfAbsent(key(s), content(s))
                .thenRun(
                    () -> {
                      synchronized (System.out) {
                        System.out.println("acked " + acked);
                        System.out.flush();
                      }
                    })
                .toCompletableFuture());
      }
      for (var f : inFlight) {
        f.join();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void acknowledgedObjectsSurviveKillMinus9AndNoPartialObjectIsVisible(Layout layout)
      throws Exception {
    Path root = dir.resolve("objects");
    KilledWriter.Outcome run =
        KilledWriter.runThenKill(
            LocalObjectStoreKillTest.class, 40, root.toString(), layout.name());
    assertThat(run.exitedAfterKill()).isTrue();
    List<Long> acked = run.acked().stream().map(Long::parseLong).toList();
    assertThat(acked).hasSizeGreaterThanOrEqualTo(40);

    try (ObjectStore store = layout.open(root)) {
      for (long seq : acked) {
        assertThat(store.get(key(seq)).toCompletableFuture().get(60, TimeUnit.SECONDS))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(content(seq)));
      }
      List<ObjectInfo> listed =
          store
              .list("wal/kill-test/", null, 100_000)
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      assertThat(listed.size()).isGreaterThanOrEqualTo(acked.size());
      for (ObjectInfo info : listed) {
        long seq = Long.parseLong(info.key().substring("wal/kill-test/".length()));
        assertThat(info.size()).as("size of %s", info.key()).isEqualTo(SIZE);
        assertThat(store.get(info.key()).toCompletableFuture().get(60, TimeUnit.SECONDS))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(content(seq)));
      }
    }
  }
}
