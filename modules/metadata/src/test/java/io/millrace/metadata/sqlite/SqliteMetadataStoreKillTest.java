package io.millrace.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.config.BasinConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.testsupport.KilledWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writer process with SIGKILL in the middle of a run of writes and checks that every write
 * it had seen acknowledged is in the file afterwards.
 */
class SqliteMetadataStoreKillTest {

  @TempDir Path dir;

  /**
   * The writer process: creates basins with 16 in flight (so that they are group-committed),
   * printing each name once acknowledged.
   */
  public static void main(String[] args) throws InterruptedException {
    SqliteMetadataStore store = SqliteMetadataStore.open(Path.of(args[0]));
    Semaphore inFlight = new Semaphore(16);
    for (int i = 0; ; i++) {
      String name = String.format("basin-%08d", i);
      inFlight.acquire();
      store
          .createBasin(
              new BasinRecord(name, BasinConfig.DEFAULT, Instant.now(), null, null, 1, null))
          .whenComplete(
              (created, err) -> {
                if (err == null) {
                  System.out.println("acked " + name);
                  System.out.flush();
                }
                inFlight.release();
              });
    }
  }

  @Test
  void everyAcknowledgedWriteSurvivesKillMinus9OfTheWriter() throws Exception {
    Path file = dir.resolve("metadata.db");
    KilledWriter.Outcome run =
        KilledWriter.runThenKill(SqliteMetadataStoreKillTest.class, 40, file.toString());
    assertThat(run.exitedAfterKill()).isTrue();
    List<String> acked = run.acked();
    assertThat(acked).hasSizeGreaterThanOrEqualTo(40);

    try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
      List<String> stored = new ArrayList<>();
      String after = null;
      while (true) {
        List<BasinRecord> page =
            store.listBasins("basin-", after, 1000).toCompletableFuture().get(60, TimeUnit.SECONDS);
        if (page.isEmpty()) {
          break;
        }
        page.forEach(b -> stored.add(b.name()));
        after = page.get(page.size() - 1).name();
      }
      assertThat(stored).containsAll(acked);
    }
  }
}
