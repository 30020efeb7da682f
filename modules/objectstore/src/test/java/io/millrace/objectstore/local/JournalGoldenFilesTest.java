package io.millrace.objectstore.local;

import static io.millrace.objectstore.local.JournalGoldenFiles.CHUNK_KEY;
import static io.millrace.objectstore.local.JournalGoldenFiles.DELETED_KEY;
import static io.millrace.objectstore.local.JournalGoldenFiles.ODD_KEY;
import static io.millrace.objectstore.local.JournalGoldenFiles.SEGMENT_KEY;
import static io.millrace.objectstore.local.JournalGoldenFiles.V1_KEY;
import static io.millrace.objectstore.local.JournalGoldenFiles.bytes;
import static io.millrace.objectstore.local.JournalObjectStoreTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.objectstore.ObjectInfo;
import java.io.ByteArrayOutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden data dirs of layout 2, written once each by {@link JournalGoldenFiles}: {@code
 * golden/local-object-store-v2} with journal format version 1 and {@code
 * golden/local-object-store-v2-journal-2} with journal format version 2. Every later version must
 * open both and see the same objects, and the journal codec must still produce their bytes.
 */
class JournalGoldenFilesTest {

  @TempDir Path dir;

  private static Path golden(int journalVersion) throws URISyntaxException {
    String name =
        journalVersion == JournalFormat.VERSION_1
            ? "local-object-store-v2"
            : "local-object-store-v2-journal-" + journalVersion;
    return Path.of(JournalGoldenFilesTest.class.getResource("/golden/" + name + "/LAYOUT").toURI())
        .getParent();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void theGoldenDataDirOpensWithItsObjects(int journalVersion) throws Exception {
    Path root = dir.resolve("objects");
    JournalObjectStoreTest.copyTree(golden(journalVersion), root);

    try (JournalObjectStore s = new JournalObjectStore(root)) {
      assertThat(await(s.list("", null, 100)))
          .containsExactly(
              new ObjectInfo(ODD_KEY, 3),
              new ObjectInfo(SEGMENT_KEY, 7),
              new ObjectInfo(V1_KEY, 10),
              new ObjectInfo(CHUNK_KEY, 11));
      assertThat(await(s.get(V1_KEY))).hasValue(bytes("layout one"));
      assertThat(await(s.get(SEGMENT_KEY))).hasValue(bytes("segment"));
      assertThat(await(s.get(CHUNK_KEY))).hasValue(bytes("chunk three"));
      assertThat(await(s.get(ODD_KEY))).hasValue(bytes("odd"));
      assertThat(await(s.get(DELETED_KEY))).isEmpty();
      assertThat(await(s.getRange(CHUNK_KEY, 6, 100))).hasValue(bytes("three"));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void theJournalCodecStillWritesTheGoldenBytes(int journalVersion) throws Exception {
    Path file = golden(journalVersion).resolve("journal.d").resolve(JournalObjectStore.fileName(1));
    long seed = JournalFormat.crcSeed(journalVersion, 1);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(toArray(JournalFormat.fileHeader(1, journalVersion)));
    long deletedAt = JournalFormat.FILE_HEADER;
    for (var put :
        List.of(
            List.of(DELETED_KEY, "chunk two"),
            List.of(SEGMENT_KEY, "segment"),
            List.of(CHUNK_KEY, "chunk three"),
            List.of(ODD_KEY, "odd"))) {
      byte[] key = bytes(put.get(0));
      byte[] data = bytes(put.get(1));
      ByteBuffer b = ByteBuffer.allocate(JournalFormat.putLength(key, data.length));
      JournalFormat.writePut(b, seed, key, data, 0, data.length);
      expected.write(b.array());
    }
    byte[] key = bytes(DELETED_KEY);
    ByteBuffer b = ByteBuffer.allocate(JournalFormat.deleteLength(key));
    JournalFormat.writeDelete(b, seed, key, 1, deletedAt);
    expected.write(b.array());

    assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
