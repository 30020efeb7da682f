package io.millrace.objectstore.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.testsupport.KilledWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
    JOURNAL,
    /**
     * Layout 2 with 1 MiB journal files, the writer deleting what it put {@link #DELETE_LAG} chunks
     * earlier: files are reclaimed and reused while it is killed.
     */
    JOURNAL_REUSED;

    ObjectStore open(Path root) {
      return switch (this) {
        case DIRECTORY -> new LocalDirectoryObjectStore(root);
        case JOURNAL ->
            new JournalObjectStore(root, new JournalObjectStore.Options(2, 4 << 20, 1 << 20));
        case JOURNAL_REUSED ->
            new JournalObjectStore(root, new JournalObjectStore.Options(2, 1 << 20, 512 << 10, 2));
      };
    }
  }

  /** How far behind its puts the {@link Layout#JOURNAL_REUSED} writer deletes. */
  static final int DELETE_LAG = 8;

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
   * ... with 4 in flight, printing each acked seq; with {@link Layout#JOURNAL_REUSED} it also
   * deletes chunk {@code seq - DELETE_LAG} after each group, printing {@code acked delete-<seq>}.
   */
  public static void main(String[] args) throws Exception {
    Layout layout = Layout.valueOf(args[1]);
    ObjectStore store = layout.open(Path.of(args[0]));
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
      if (layout == Layout.JOURNAL_REUSED) {
        for (long d = seq - DELETE_LAG; d < seq - DELETE_LAG + 4; d++) {
          if (d >= 0) {
            store.delete(key(d)).toCompletableFuture().join();
            synchronized (System.out) {
              System.out.println("acked delete-" + d);
              System.out.flush();
            }
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void acknowledgedObjectsSurviveKillMinus9AndNoPartialObjectIsVisible(Layout layout)
      throws Exception {
    Path root = dir.resolve("objects");
    // The reusing writer must go through several 1 MiB files (4 chunks each) before the kill.
    int acks = layout == Layout.JOURNAL_REUSED ? 160 : 40;
    KilledWriter.Outcome run =
        KilledWriter.runThenKill(
            LocalObjectStoreKillTest.class, acks, root.toString(), layout.name());
    assertThat(run.exitedAfterKill()).isTrue();
    List<Long> acked =
        run.acked().stream().filter(a -> !a.startsWith("delete-")).map(Long::parseLong).toList();
    Set<Long> deleted =
        run.acked().stream()
            .filter(a -> a.startsWith("delete-"))
            .map(a -> Long.parseLong(a.substring("delete-".length())))
            .collect(Collectors.toSet());
    assertThat(run.acked()).hasSizeGreaterThanOrEqualTo(acks);
    if (layout == Layout.JOURNAL_REUSED) {
      assertThat(deleted).hasSizeGreaterThanOrEqualTo(60);
    }

    try (ObjectStore store = layout.open(root)) {
      for (long seq : deleted) {
        assertThat(store.get(key(seq)).toCompletableFuture().get(60, TimeUnit.SECONDS))
            .as("deleted chunk %d", seq)
            .isEmpty();
      }
      for (long seq : acked) {
        if (deleted.contains(seq)) {
          continue;
        }
        assertThat(store.get(key(seq)).toCompletableFuture().get(60, TimeUnit.SECONDS))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(content(seq)));
      }
      List<ObjectInfo> listed =
          store
              .list("wal/kill-test/", null, 100_000)
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      assertThat(listed.size()).isGreaterThanOrEqualTo(acked.size() - deleted.size());
      for (ObjectInfo info : listed) {
        long seq = Long.parseLong(info.key().substring("wal/kill-test/".length()));
        assertThat(info.size()).as("size of %s", info.key()).isEqualTo(SIZE);
        assertThat(store.get(info.key()).toCompletableFuture().get(60, TimeUnit.SECONDS))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(content(seq)));
      }
    }
  }
}
