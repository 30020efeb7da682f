package io.millrace.objectstore.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layout version 2: reopening, torn tails, layout-1 directories, space reclamation. */
class JournalObjectStoreTest {

  /** Small files so that tests roll and reclaim files quickly; two reclaimed files kept. */
  static final JournalObjectStore.Options SMALL =
      new JournalObjectStore.Options(2, 256 << 10, 64 << 10, 2);

  @TempDir Path dir;

  private JournalObjectStore open(Path root) {
    return new JournalObjectStore(root, SMALL);
  }

  @Test
  void objectsAndDeletesSurviveReopenAndCreateOnlyHoldsAfterIt() {
    Path root = dir.resolve("objects");
    try (JournalObjectStore s = open(root)) {
      for (int i = 0; i < 50; i++) {
        await(s.putIfAbsent(key(i), content(i, 3000)));
      }
      await(s.delete(key(7)));
    }
    try (JournalObjectStore s = open(root)) {
      for (int i = 0; i < 50; i++) {
        if (i == 7) {
          assertThat(await(s.get(key(i)))).isEmpty();
        } else {
          assertThat(await(s.get(key(i)))).hasValue(content(i, 3000));
        }
      }
      assertThat(await(s.list("wal/", null, 1000))).hasSize(49);
      assertThat(failure(s.putIfAbsent(key(3), new byte[1])))
          .isInstanceOf(ObjectAlreadyExistsException.class);
      await(s.putIfAbsent(key(7), content(70, 10)));
    }
    try (JournalObjectStore s = open(root)) {
      assertThat(await(s.get(key(7)))).hasValue(content(70, 10));
      assertThat(await(s.getRange(key(8), 100, 50)))
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(slice(content(8, 3000), 100, 50)));
    }
  }

  @Test
  void cuttingTheLastRecordAtEveryByteLosesOnlyThatRecord() throws Exception {
    Path original = dir.resolve("original");
    // Short keys and bodies keep the number of cuts (one per byte of the last record) small.
    int n = 5;
    try (JournalObjectStore s = open(original)) {
      for (int i = 0; i < n; i++) {
        await(s.putIfAbsent(shortKey(i), content(i, 8)));
      }
    }
    Path journal = onlyJournalFileWithRecords(original);
    long end = Files.size(journal); // opening cut it to its records
    int last = JournalFormat.putLength(shortKey(n - 1).getBytes(StandardCharsets.UTF_8), 8);
    long start = end - last;
    for (long cut = start; cut < end; cut++) {
      for (Tail tail : Tail.values()) {
        Path copy = dir.resolve("cut-" + cut + "-" + tail);
        copyTree(original, copy);
        damage(copy.resolve(original.relativize(journal)), cut, end, tail);
        try (JournalObjectStore s = open(copy)) {
          for (int i = 0; i < n - 1; i++) {
            assertThat(await(s.get(shortKey(i))))
                .as("cut %d %s key %d", cut, tail, i)
                .hasValue(content(i, 8));
          }
          assertThat(await(s.get(shortKey(n - 1)))).as("cut %d %s", cut, tail).isEmpty();
          assertThat(await(s.list("k/", null, 100))).hasSize(n - 1);
          await(s.putIfAbsent(shortKey(n - 1), content(99, 8)));
          await(s.putIfAbsent(shortKey(n), content(n, 8)));
        }
        try (JournalObjectStore s = open(copy)) {
          assertThat(await(s.get(shortKey(n - 1))))
              .as("cut %d %s", cut, tail)
              .hasValue(content(99, 8));
          assertThat(await(s.get(shortKey(n)))).hasValue(content(n, 8));
          assertThat(await(s.list("k/", null, 100))).hasSize(n + 1);
        }
        deleteTree(copy);
      }
    }
  }

  /** How the bytes after a cut look after a crash. */
  enum Tail {
    /** The file ends at the cut. */
    TRUNCATED,
    /** The preallocated zeros were never overwritten. */
    ZEROS,
    /** Part of a later write reached the disk out of order. */
    GARBAGE,
    /**
     * A reused file: valid records of its earlier use (another file sequence number), among them
     * the cut record's key and one never put in this use.
     */
    EARLIER_USE
  }

  private static void damage(Path file, long cut, long end, Tail tail) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      switch (tail) {
        case TRUNCATED -> ch.truncate(cut);
        case ZEROS -> ch.write(ByteBuffer.allocate((int) (end - cut) + 64), cut);
        case EARLIER_USE -> {
          ByteBuffer b = ByteBuffer.allocate(1024);
          long earlierUse = JournalFormat.crcSeed(JournalFormat.VERSION, 7);
          for (int i = 3; i < 8; i++) {
            byte[] k = bytes(shortKey(i));
            byte[] data = content(1000 + i, 8);
            JournalFormat.writePut(b, earlierUse, k, data, 0, data.length);
          }
          ch.write(b.flip(), cut);
        }
        case GARBAGE -> {
          byte[] g = new byte[(int) (end - cut) + 64];
          new Random(cut).nextBytes(g);
          ch.write(ByteBuffer.wrap(g), cut);
        }
      }
    }
  }

  @Test
  void aDamagedJournalFileFollowedByWrittenFilesRefusesToOpen() throws Exception {
    Path root = dir.resolve("objects");
    try (JournalObjectStore s = open(root)) {
      for (int i = 0; i < 20; i++) {
        await(s.putIfAbsent(key(i), content(i, 30_000))); // about 2.5 files
      }
    }
    List<Path> files = journalFiles(root);
    assertThat(files.size()).isGreaterThanOrEqualTo(3);
    try (FileChannel ch = FileChannel.open(files.get(0), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), JournalFormat.FILE_HEADER + 20);
    }

    assertThatThrownBy(() -> open(root))
        .isInstanceOf(ObjectStoreException.class)
        .hasMessageContaining("damaged");
  }

  @Test
  void aLayoutOneDirectoryOpensAndItsObjectsStayReadableListableAndDeletable() {
    Path root = dir.resolve("objects");
    try (LocalDirectoryObjectStore v1 = new LocalDirectoryObjectStore(root)) {
      await(v1.putIfAbsent("wal/ch-1/00000000000000000001", bytes("one")));
      await(v1.putIfAbsent("wal/ch-1/00000000000000000003", bytes("three")));
    }
    try (JournalObjectStore s = open(root)) {
      await(s.putIfAbsent("wal/ch-1/00000000000000000002", bytes("two")));
      assertThat(failure(s.putIfAbsent("wal/ch-1/00000000000000000003", bytes("x"))))
          .isInstanceOf(ObjectAlreadyExistsException.class);
      assertThat(await(s.list("wal/ch-1/", null, 10)))
          .containsExactly(
              new ObjectInfo("wal/ch-1/00000000000000000001", 3),
              new ObjectInfo("wal/ch-1/00000000000000000002", 3),
              new ObjectInfo("wal/ch-1/00000000000000000003", 5));
      assertThat(await(s.list("wal/ch-1/", "wal/ch-1/00000000000000000001", 1)))
          .containsExactly(new ObjectInfo("wal/ch-1/00000000000000000002", 3));
      assertThat(await(s.getRange("wal/ch-1/00000000000000000003", 1, 3))).hasValue(bytes("hre"));
      await(s.delete("wal/ch-1/00000000000000000001"));
      assertThat(await(s.get("wal/ch-1/00000000000000000001"))).isEmpty();
    }
    assertThat(root.resolve(JournalObjectStore.LAYOUT_FILE))
        .hasContent("millrace-local-object-store 2");
    try (JournalObjectStore s = open(root)) {
      assertThat(await(s.list("", null, 10)).stream().map(ObjectInfo::key))
          .containsExactly("wal/ch-1/00000000000000000002", "wal/ch-1/00000000000000000003");
    }
  }

  @Test
  void aDirectoryOfANewerLayoutIsRefused() throws IOException {
    Path root = dir.resolve("objects");
    Files.createDirectories(root);
    Files.writeString(root.resolve("LAYOUT"), "millrace-local-object-store 3\n");

    assertThatThrownBy(() -> open(root))
        .isInstanceOf(ObjectStoreException.class)
        .hasMessageContaining("layout version 3");
  }

  @Test
  void objectsLargerThanTheLimitAreFilesAndSmallerOnesAreNot() {
    Path root = dir.resolve("objects");
    try (JournalObjectStore s = open(root)) {
      await(s.putIfAbsent("segments/s/big", content(1, (64 << 10) + 1)));
      await(s.putIfAbsent("segments/s/small", content(2, 64 << 10)));
      assertThat(KeyPaths.toPath(root, "segments/s/big")).exists();
      assertThat(KeyPaths.toPath(root, "segments/s/small")).doesNotExist();
      assertThat(failure(s.putIfAbsent("segments/s/big", new byte[1])))
          .isInstanceOf(ObjectAlreadyExistsException.class);
      assertThat(failure(s.putIfAbsent("segments/s/small", new byte[1 << 20])))
          .isInstanceOf(ObjectAlreadyExistsException.class);
      assertThat(await(s.list("segments/", null, 10)))
          .containsExactly(
              new ObjectInfo("segments/s/big", (64 << 10) + 1),
              new ObjectInfo("segments/s/small", 64 << 10));
    }
  }

  @Test
  void deletedObjectsGiveTheirSpaceBackAndSurvivorsAreCopiedForward() throws Exception {
    Path root = dir.resolve("objects");
    try (JournalObjectStore s = open(root)) {
      await(s.putIfAbsent("keep/early", content(-1, 1000)));
      for (int i = 0; i < 100; i++) {
        await(s.putIfAbsent(key(i), content(i, 20_000))); // about 8 files
      }
      await(s.putIfAbsent("keep/late", content(-2, 1000)));
      assertThat(journalFiles(root).size()).isGreaterThanOrEqualTo(8);
      for (int i = 0; i < 100; i++) {
        await(s.delete(key(i)));
      }
      // Left: the active file, its prepared successor, and at most one more.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(journalFiles(root).size()).isLessThanOrEqualTo(3));
      assertThat(await(s.get("keep/early"))).hasValue(content(-1, 1000));
      assertThat(await(s.get("keep/late"))).hasValue(content(-2, 1000));
    }
    try (JournalObjectStore s = open(root)) {
      assertThat(await(s.list("", null, 1000)).stream().map(ObjectInfo::key))
          .containsExactly("keep/early", "keep/late");
      assertThat(await(s.get("keep/early"))).hasValue(content(-1, 1000));
      for (int i = 0; i < 100; i += 9) {
        assertThat(await(s.get(key(i)))).isEmpty();
      }
    }
  }

  @Test
  void aDeletedKeyDoesNotComeBackAfterItsFilesAreReclaimedAndItIsPutAgain() {
    Path root = dir.resolve("objects");
    try (JournalObjectStore s = open(root)) {
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 30; i++) {
          await(s.putIfAbsent(key(i), content(round * 100 + i, 20_000)));
        }
        for (int i = 0; i < 30; i += round + 1) {
          await(s.delete(key(i)));
        }
        for (int i = 0; i < 30; i++) {
          if (i % (round + 1) != 0) {
            await(s.delete(key(i)));
          }
        }
      }
      await(s.putIfAbsent(key(5), content(555, 100)));
    }
    try (JournalObjectStore s = open(root)) {
      assertThat(await(s.list("wal/", null, 1000)).stream().map(ObjectInfo::key))
          .containsExactly(key(5));
      assertThat(await(s.get(key(5)))).hasValue(content(555, 100));
    }
  }

  @Test
  void reclaimedFilesAreReusedAndWhatTheyHeldBeforeNeverComesBack() throws Exception {
    Path root = dir.resolve("objects");
    Set<Object> reusable = new HashSet<>();
    try (JournalObjectStore s = open(root)) {
      for (int i = 0; i < 60; i++) {
        await(s.putIfAbsent(key(i), content(i, 20_000))); // about 5 files
      }
      for (int i = 0; i < 60; i++) {
        await(s.delete(key(i)));
      }
      // Reclaimed files wait for reuse, at most recycledFiles of them.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(freeFiles(root)).hasSize(SMALL.recycledFiles()));
      for (Path p : freeFiles(root)) {
        reusable.add(Files.readAttributes(p, "unix:ino").get("ino"));
      }
      // Enough new objects to roll through the waiting files; another size than before, so the
      // records of this use end inside records of the earlier one.
      for (int i = 100; i < 140; i++) {
        await(s.putIfAbsent(key(i), content(i, 15_000)));
      }
      Set<Object> inUse = new HashSet<>();
      for (Path p : journalFiles(root)) {
        inUse.add(Files.readAttributes(p, "unix:ino").get("ino"));
      }
      assertThat(inUse).as("journal files that were reclaimed ones").containsAll(reusable);
      assertThat(await(s.get(key(3)))).isEmpty();
    }
    // Opening replays the reused files: their earlier records (keys 0..59) stay deleted.
    try (JournalObjectStore s = open(root)) {
      assertThat(await(s.list("wal/", null, 1000)).stream().map(ObjectInfo::key))
          .containsExactlyElementsOf(
              java.util.stream.IntStream.range(100, 140)
                  .mapToObj(JournalObjectStoreTest::key)
                  .toList());
      for (int i = 100; i < 140; i++) {
        assertThat(await(s.get(key(i)))).hasValue(content(i, 15_000));
      }
      assertThat(failure(s.putIfAbsent(key(120), new byte[1])))
          .isInstanceOf(ObjectAlreadyExistsException.class);
      await(s.putIfAbsent(key(5), content(555, 100)));
      assertThat(await(s.get(key(5)))).hasValue(content(555, 100));
    }
  }

  @Test
  void withReuseOffReclaimedFilesAreDeleted() throws Exception {
    Path root = dir.resolve("objects");
    JournalObjectStore.Options noReuse =
        new JournalObjectStore.Options(2, SMALL.journalFileBytes(), SMALL.largeObjectBytes(), 0);
    try (JournalObjectStore s = new JournalObjectStore(root, noReuse)) {
      for (int i = 0; i < 40; i++) {
        await(s.putIfAbsent(key(i), content(i, 20_000)));
      }
      for (int i = 0; i < 40; i++) {
        await(s.delete(key(i)));
      }
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(journalFiles(root).size()).isLessThanOrEqualTo(3));
      assertThat(freeFiles(root)).isEmpty();
    }
  }

  // ---------------------------------------------------------------- helpers

  static List<Path> freeFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root.resolve(JournalObjectStore.JOURNAL_DIR))) {
      return s.filter(p -> p.toString().endsWith(".free")).sorted().toList();
    }
  }

  static String shortKey(int i) {
    return "k/" + i;
  }

  static String key(int i) {
    return String.format("wal/ch-1/%020d", i);
  }

  static byte[] content(int seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] slice(byte[] b, int from, int n) {
    byte[] out = new byte[n];
    System.arraycopy(b, from, out, 0, n);
    return out;
  }

  static List<Path> journalFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root.resolve(JournalObjectStore.JOURNAL_DIR))) {
      return s.filter(p -> p.toString().endsWith(".jnl")).sorted().toList();
    }
  }

  /** The journal file of a closed store that holds records (opening cuts it to them). */
  private Path onlyJournalFileWithRecords(Path root) throws IOException {
    // Opening again cuts the last written file at its end and starts a new one.
    open(root).close();
    List<Path> withRecords = new ArrayList<>();
    for (Path p : journalFiles(root)) {
      if (Files.size(p) < SMALL.journalFileBytes()) {
        withRecords.add(p);
      }
    }
    assertThat(withRecords).hasSize(1);
    return withRecords.get(0);
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("operation failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("operation did not complete: " + e, e);
    }
  }

  private static Throwable failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }
}
