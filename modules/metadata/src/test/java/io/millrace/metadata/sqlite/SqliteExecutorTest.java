package io.millrace.metadata.sqlite;

import static io.millrace.testsupport.Stages.failure;
import static io.millrace.testsupport.Stages.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.metadata.MetadataStoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit of {@link SqliteExecutor}: writes queued together share one transaction. */
class SqliteExecutorTest {

  @TempDir Path dir;

  private final ExecutorService thread = Executors.newSingleThreadExecutor();
  private SqliteExecutor db;
  private final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void open() throws Exception {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
    try (var st = c.createStatement()) {
      st.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)");
    }
    db = new SqliteExecutor("test", thread, c);
  }

  @AfterEach
  void close() {
    release.countDown();
    db.close();
  }

  /** Holds the store's thread until {@link #release} so that the writes queued meanwhile group. */
  private void holdTheThread() throws InterruptedException {
    CountDownLatch held = new CountDownLatch(1);
    db.read(
        "hold",
        c -> {
          held.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return null;
        });
    held.await();
  }

  private CompletionStage<Boolean> insert(int k) {
    return db.updateOne("insert " + k, "INSERT INTO t(k) VALUES (?)", k);
  }

  private List<Integer> keys() {
    return join(db.list("keys", "SELECT k FROM t ORDER BY k", rs -> rs.getInt(1)));
  }

  @Test
  void aFailingWriteInAGroupIsRolledBackAloneAndTheOthersCommit() throws Exception {
    holdTheThread();
    CompletionStage<Boolean> first = insert(1);
    CompletionStage<Boolean> broken =
        db.write(
            "insert 2 then fail",
            c -> {
              Sql.update(c, "INSERT INTO t(k) VALUES (?)", 2);
              throw new SQLException("boom");
            });
    CompletionStage<Boolean> duplicate = insert(1);
    CompletionStage<Boolean> third = insert(3);
    release.countDown();

    assertThat(join(first)).isTrue();
    assertThat(failure(broken))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("insert 2 then fail")
        .hasMessageContaining("boom");
    assertThat(failure(duplicate)).isInstanceOf(MetadataStoreException.class);
    assertThat(join(third)).isTrue();
    assertThat(keys()).containsExactly(1, 3);
  }

  @Test
  void anErrorInAWriteFailsItsWholeGroupInsteadOfLeavingCallersWaiting() throws Exception {
    holdTheThread();
    CompletionStage<Boolean> first = insert(1);
    CompletionStage<Boolean> erring =
        db.write(
            "insert 2 then an Error",
            c -> {
              Sql.update(c, "INSERT INTO t(k) VALUES (?)", 2);
              throw new StackOverflowError("deep");
            });
    CompletionStage<Boolean> third = insert(3);
    release.countDown();

    // bounded waits: before the fix these stages never completed
    for (CompletionStage<Boolean> w : List.of(first, erring, third)) {
      assertThat(w.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS))
          .failsWithin(Duration.ofSeconds(30));
    }
    assertThat(failure(erring)).isInstanceOf(StackOverflowError.class);
    // nothing of the group was committed; the store still works
    assertThat(keys()).isEmpty();
    assertThat(join(insert(4))).isTrue();
    assertThat(keys()).containsExactly(4);
  }

  @Test
  void manyConcurrentWritesAreEachCommittedOnce() throws Exception {
    holdTheThread();
    List<CompletionStage<Boolean>> writes = new ArrayList<>();
    for (int i = 0; i < 3 * SqliteExecutor.MAX_GROUP; i++) {
      writes.add(insert(i % 500));
    }
    release.countDown();

    List<String> outcomes =
        writes.stream()
            .map(w -> join(w.handle((ok, err) -> err == null ? "ok " + ok : "failed")))
            .toList();
    assertThat(outcomes.subList(0, 500)).containsOnly("ok true");
    // Every later insert of a key already committed (in the same group) fails alone.
    assertThat(outcomes.subList(500, outcomes.size())).containsOnly("failed");
    assertThat(keys()).hasSize(500).startsWith(0, 1, 2).endsWith(499);
  }

  @Test
  void aWriteQueuedBeforeAReadIsVisibleToIt() throws Exception {
    holdTheThread();
    CompletionStage<Boolean> write = insert(7);
    CompletionStage<List<Integer>> read =
        db.list("keys", "SELECT k FROM t ORDER BY k", rs -> rs.getInt(1));
    release.countDown();

    assertThat(join(read)).containsExactly(7);
    assertThat(join(write)).isTrue();
  }

  @Test
  void aClosedExecutorFailsWrites() {
    release.countDown();
    db.close();
    assertThat(failure(insert(1)))
        .isInstanceOf(MetadataStoreException.class)
        .hasMessageContaining("closed");
  }
}
