package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.record.SequencedRecord;
import io.millrace.format.SegmentCodec;
import io.millrace.metadata.SegmentRecord;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.local.LocalDirectoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code millrace verify} on embedded stores, as an operator runs it (issue 14 item 4). */
class VerifyCommandTest {
  @TempDir Path dataDir;

  /** One 600-record segment of stream {@code s-1} in the embedded stores; its object key. */
  private String writeSegment() {
    List<SequencedRecord> records = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      records.add(
          new SequencedRecord(i, 1000 + i, List.of(), ("r" + i).getBytes(StandardCharsets.UTF_8)));
    }
    byte[] bytes = SegmentCodec.encode("s-1", records);
    String key = SegmentCodec.objectKey("s-1", 0, 599);
    try (LocalDirectoryObjectStore objects =
            new LocalDirectoryObjectStore(dataDir.resolve("objects"));
        SqliteMetadataStore metadata = SqliteMetadataStore.open(dataDir.resolve("metadata.db"))) {
      objects.putIfAbsent(key, bytes).toCompletableFuture().join();
      metadata
          .addSegment(new SegmentRecord("s-1", 0, 599, 1000, 1599, key, bytes.length))
          .toCompletableFuture()
          .join();
    }
    return key;
  }

  private Path objectFile(String key) throws Exception {
    try (var files = Files.walk(dataDir.resolve("objects"))) {
      return files
          .filter(p -> Files.isRegularFile(p) && p.toString().contains("s-1"))
          .findFirst()
          .orElseThrow();
    }
  }

  @Test
  void verifyOfWholeStoresReportsNothingDamagedAndExitsZero() {
    writeSegment();
    MainRun run = new MainRun();
    assertThat(run.run("verify", "--data-dir", dataDir.toString())).isZero();
    assertThat(run.out()).contains("1 segment(s) of 1 stream(s): 0 damaged");
  }

  @Test
  void verifyReportsAFlippedByteInASegmentWithItsSeqNumsAndExitsThree() throws Exception {
    String key = writeSegment();
    Path file = objectFile(key);
    byte[] data = Files.readAllBytes(file);
    data[data.length / 2] ^= 0x01;
    Files.write(file, data);

    MainRun run = new MainRun();
    assertThat(run.run("verify", "--data-dir", dataDir.toString())).isEqualTo(3);
    assertThat(run.out())
        .contains("DAMAGED segment 0-599 of stream with id s-1")
        .contains("1 damaged");
    // No WAL holds its records here, so --repair cannot rebuild it and says why.
    MainRun repair = new MainRun();
    assertThat(repair.run("verify", "--data-dir", dataDir.toString(), "--repair")).isEqualTo(3);
    assertThat(repair.out()).contains("cannot be rebuilt: the WAL holds 0 of its 600 records");
  }
}
