package io.millrace.objectstore.local;

import static io.millrace.testsupport.Stages.failure;
import static io.millrace.testsupport.Stages.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalDirectoryObjectStoreTest {

  @TempDir Path dir;

  @Test
  void keysMapToReadableFilesAsDocumented() throws IOException {
    Path root = dir.resolve("objects");
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      join(store.putIfAbsent("wal/ch-1/00000000000000000042", b("chunk")));
      join(
          store.putIfAbsent(
              "segments/3f2b8c1e-5d4a-4e1f-9a7b-0c6d2e8f1a3b/00000000000000000000-00000000000000000099",
              b("segment")));
      join(store.putIfAbsent("Odd Key/a.b", b("odd")));
    }

    assertThat(Files.readString(root.resolve("wal/ch-1/00000000000000000042.obj")))
        .isEqualTo("chunk");
    assertThat(
            root.resolve(
                "segments/3f2b8c1e-5d4a-4e1f-9a7b-0c6d2e8f1a3b/00000000000000000000-00000000000000000099.obj"))
        .hasContent("segment");
    assertThat(root.resolve("%4Fdd%20%4Bey/a%2Eb.obj")).hasContent("odd");
  }

  /**
   * Large objects are written with direct I/O (whole aligned blocks, the last one padded, then the
   * file cut) where the file system allows it, else through the page cache: both give the same
   * files, of the object's exact length, before and after reopening.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void largeObjectsOfAnyLengthReadBackExactly(boolean directIo) throws IOException {
    Path root = dir.resolve("objects");
    int min = LocalDirectoryObjectStore.DIRECT_MIN_BYTES;
    List<Integer> sizes =
        List.of(min - 1, min, min + 1, (2 << 20) - 1, 2 << 20, (2 << 20) + 4097, (5 << 20) + 123);
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root, 2, directIo)) {
      for (int size : sizes) {
        join(store.putIfAbsent("segments/s/" + size, content(size)));
      }
      for (int size : sizes) {
        assertThat(join(store.get("segments/s/" + size)))
            .hasValueSatisfying(v -> assertThat(v).isEqualTo(content(size)));
      }
    }
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      for (int size : sizes) {
        assertThat(Files.size(root.resolve("segments/s/" + size + ".obj"))).isEqualTo(size);
        assertThat(join(store.getRange("segments/s/" + size, size - 10, 100)))
            .hasValueSatisfying(v -> assertThat(v).hasSize(10));
        assertThat(join(store.get("segments/s/" + size)))
            .hasValueSatisfying(v -> assertThat(v).isEqualTo(content(size)));
      }
    }
    try (Stream<Path> left = Files.walk(root)) {
      assertThat(left.filter(p -> p.toString().endsWith(KeyPaths.TEMP_SUFFIX))).isEmpty();
    }
  }

  private static byte[] content(int size) {
    byte[] out = new byte[size];
    new java.util.Random(size).nextBytes(out);
    return out;
  }

  @Test
  void dotDotAndEmptySegmentsNeverEscapeTheRoot() throws IOException {
    Path root = dir.resolve("objects");
    List<String> keys = List.of("../escape", "..", "/abs", "a//b", "a/", "./x", "a/../../b");
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      for (String k : keys) {
        join(store.putIfAbsent(k, b(k)));
      }
      for (String k : keys) {
        assertThat(join(store.get(k))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b(k)));
      }
      assertThat(join(store.list("", null, 100)))
          .extracting(ObjectInfo::key)
          .containsExactlyInAnyOrderElementsOf(keys);
    }
    try (Stream<Path> outside = Files.list(dir)) {
      assertThat(outside).containsExactly(root);
    }
  }

  @Test
  void objectsSurviveReopeningTheStore() {
    Path root = dir.resolve("objects");
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      join(store.putIfAbsent("wal/c/00000000000000000001", b("one")));
    }
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      assertThat(join(store.get("wal/c/00000000000000000001")))
          .hasValueSatisfying(v -> assertThat(v).isEqualTo(b("one")));
      assertThat(failure(store.putIfAbsent("wal/c/00000000000000000001", b("two"))))
          .isInstanceOf(io.millrace.objectstore.ObjectAlreadyExistsException.class);
    }
  }

  @Test
  void staleTemporaryFilesAreRemovedAtStartAndNeverListed() throws IOException {
    Path root = dir.resolve("objects");
    Path chDir = Files.createDirectories(root.resolve("wal/c"));
    Path stale = Files.writeString(chDir.resolve("00000000000000000001.obj.1a2b.tmp"), "half");

    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      assertThat(stale).doesNotExist();
      Path inFlight = Files.writeString(chDir.resolve("00000000000000000002.obj.3c4d.tmp"), "w");

      assertThat(join(store.list("wal/", null, 10))).isEmpty();
      assertThat(join(store.get("wal/c/00000000000000000002"))).isEmpty();
      assertThat(inFlight).exists();
    }
  }

  @Test
  void filesThatAreNotCanonicalObjectNamesAreIgnored() throws IOException {
    Path root = dir.resolve("objects");
    Files.createDirectories(root.resolve("wal/c"));
    Files.writeString(root.resolve("wal/c/README"), "x");
    Files.writeString(root.resolve("wal/c/%61.obj"), "non-canonical 'a'");
    Files.writeString(root.resolve("wal/c/UPPER.obj"), "x");

    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      join(store.putIfAbsent("wal/c/a", b("real")));

      assertThat(join(store.list("wal/", null, 10))).containsExactly(new ObjectInfo("wal/c/a", 4));
    }
  }

  @Test
  void anIoFailureIsARetryableObjectStoreExceptionAndLeavesNothingVisible() throws IOException {
    Path root = dir.resolve("objects");
    Files.createDirectories(root);
    // A stray regular file where the put needs a directory makes every write below it fail.
    Files.writeString(root.resolve("wal"), "not a directory");

    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      assertThat(failure(store.putIfAbsent("wal/c/00000000000000000001", b("x"))))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("wal/c/00000000000000000001");

      Files.delete(root.resolve("wal"));
      assertThat(join(store.get("wal/c/00000000000000000001"))).isEmpty();
      assertThat(join(store.list("", null, 10))).isEmpty();
    }
    try (Stream<Path> files = Files.walk(root)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void deletingTheLastObjectOfADirectoryRemovesTheEmptyDirectories() {
    Path root = dir.resolve("objects");
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(root)) {
      join(store.putIfAbsent("segments/s1/1-2", b("x")));
      join(store.putIfAbsent("segments/s2/1-2", b("y")));

      join(store.delete("segments/s1/1-2"));

      assertThat(root.resolve("segments/s1")).doesNotExist();
      assertThat(root.resolve("segments/s2/1-2.obj")).exists();
    }
  }

  @Test
  void callsOnAClosedStoreFailWithObjectStoreException() {
    LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir.resolve("objects"));
    store.close();

    assertThat(failure(store.get("a"))).isInstanceOf(ObjectStoreException.class);
  }

  @Test
  void keysWithInvalidUnicodeOrOverlongSegmentsAreRejected() {
    try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir.resolve("objects"))) {
      assertThatThrownBy(() -> store.putIfAbsent("bad\uD800key", b("x")))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.putIfAbsent("x".repeat(300), b("x")))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
