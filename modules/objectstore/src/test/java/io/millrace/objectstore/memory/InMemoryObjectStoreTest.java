package io.millrace.objectstore.memory;

import static io.millrace.testsupport.Stages.failure;
import static io.millrace.testsupport.Stages.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectStoreException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemoryObjectStoreTest {

  private final InMemoryObjectStore store = new InMemoryObjectStore();

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void injectedPutFailuresHitOnlyMatchingKeysTheGivenNumberOfTimes() {
    InMemoryObjectStore.Fault fault =
        store.failPuts(k -> k.startsWith("wal/"), 2, () -> new ObjectStoreException("boom"));

    assertThat(failure(store.putIfAbsent("wal/c/1", b("a")))).hasMessage("boom");
    assertThat(join(store.putIfAbsent("segments/s/1-2", b("s")))).isNull();
    assertThat(failure(store.putIfAbsent("wal/c/1", b("a")))).hasMessage("boom");
    assertThat(join(store.putIfAbsent("wal/c/1", b("a")))).isNull();

    assertThat(fault.triggered()).isEqualTo(2);
    assertThat(fault.remaining()).isZero();
    assertThat(store.keys()).containsExactly("segments/s/1-2", "wal/c/1");
    assertThat(store.putCount()).isEqualTo(4);
  }

  @Test
  void aPutFailedAfterWriteIsStoredButReportedAsFailed() {
    store.failPutsAfterWrite(k -> true, 1, () -> new ObjectStoreException("timeout"));

    assertThat(failure(store.putIfAbsent("wal/c/1", b("a")))).hasMessage("timeout");

    assertThat(store.peek("wal/c/1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("a")));
    assertThat(failure(store.putIfAbsent("wal/c/1", b("a"))))
        .isInstanceOf(ObjectAlreadyExistsException.class);
  }

  @Test
  void aBlockedPutIsInvisibleUntilItsGateOpensSoALaterChunkCanBeDurableFirst() {
    InMemoryObjectStore.Gate gate = store.blockPuts(k -> k.equals("wal/c/1"));

    CompletableFuture<Void> first = store.putIfAbsent("wal/c/1", b("one")).toCompletableFuture();
    CompletableFuture<Void> second = store.putIfAbsent("wal/c/2", b("two")).toCompletableFuture();

    assertThat(second).isCompleted();
    assertThat(first).isNotDone();
    assertThat(gate.heldKeys()).containsExactly("wal/c/1");
    assertThat(store.keys()).containsExactly("wal/c/2");
    assertThat(join(store.get("wal/c/1"))).isEmpty();

    gate.open();

    assertThat(first).isCompleted();
    assertThat(store.keys()).containsExactly("wal/c/1", "wal/c/2");
    assertThat(gate.isOpen()).isTrue();
    assertThat(join(store.putIfAbsent("wal/c/3", b("three")))).isNull();
  }

  @Test
  void failingTheHeldPutsStoresNothingAndKeepsTheGateClosed() {
    InMemoryObjectStore.Gate gate = store.blockPuts(k -> true);
    CompletionStage<Void> held = store.putIfAbsent("wal/c/1", b("one"));

    gate.failHeld(() -> new ObjectStoreException("lost"));

    assertThat(failure(held)).hasMessage("lost");
    assertThat(store.keys()).isEmpty();
    assertThat(store.putIfAbsent("wal/c/2", b("two")).toCompletableFuture()).isNotDone();
    assertThat(gate.heldCount()).isEqualTo(1);
  }

  @Test
  void aDelayedPutCompletesLaterWithoutBlockingTheCaller() {
    store.delayPuts(Duration.ofMillis(200));

    CompletableFuture<Void> put = store.putIfAbsent("wal/c/1", b("one")).toCompletableFuture();

    assertThat(put).isNotDone();
    assertThat(store.keys()).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(put::isDone);
    assertThat(put).isCompleted();
    assertThat(store.keys()).containsExactly("wal/c/1");
  }

  @Test
  void gatedAndFailedGetsBehaveLikePuts() {
    store.seed("segments/s/1-2", b("data"));
    InMemoryObjectStore.Gate gate = store.blockGets(k -> true);
    CompletableFuture<Optional<byte[]>> held = store.get("segments/s/1-2").toCompletableFuture();
    assertThat(held).isNotDone();

    gate.open();

    assertThat(held.join()).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("data")));
    store.failGets(k -> true, 1, () -> new ObjectStoreException("read failed"));
    assertThat(failure(store.getRange("segments/s/1-2", 0, 2))).hasMessage("read failed");
    assertThat(join(store.getRange("segments/s/1-2", 0, 2)))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(b("da")));
    assertThat(store.getCount()).isEqualTo(3);
  }

  @Test
  void clearFaultsRemovesRulesAndReleasesHeldCalls() {
    store.failPuts(k -> k.equals("a"), Integer.MAX_VALUE, () -> new ObjectStoreException("x"));
    store.blockPuts(k -> k.equals("b"));
    CompletableFuture<Void> held = store.putIfAbsent("b", b("b")).toCompletableFuture();

    store.clearFaults();

    assertThat(held).isCompleted();
    assertThat(join(store.putIfAbsent("a", b("a")))).isNull();
    assertThat(store.keys()).containsExactly("a", "b");
  }

  @Test
  void listAndDeleteFailuresCanBeInjected() {
    store.seed("k", b("v"));
    store.failLists(1, () -> new ObjectStoreException("list failed"));
    store.failDeletes(k -> true, 1, () -> new ObjectStoreException("delete failed"));

    assertThat(failure(store.list("", null, 10))).hasMessage("list failed");
    assertThat(failure(store.delete("k"))).hasMessage("delete failed");
    assertThat(store.keys()).containsExactly("k");
    assertThat(join(store.list("", null, 10))).hasSize(1);
    assertThat(store.listCount()).isEqualTo(2);
    assertThat(store.deleteCount()).isEqualTo(1);
  }

  @Test
  void aClosedStoreFailsCallsAndHeldPuts() {
    store.blockPuts(k -> true);
    CompletionStage<Void> held = store.putIfAbsent("a", b("a"));

    store.close();

    assertThat(failure(held)).isInstanceOf(ObjectStoreException.class);
    assertThat(failure(store.get("a"))).isInstanceOf(ObjectStoreException.class);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
