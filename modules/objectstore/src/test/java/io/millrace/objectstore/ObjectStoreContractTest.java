package io.millrace.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.KeyOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ObjectStore} must show (local directory, in-memory, S3). Subclasses
 * supply a store with {@link #newStore()}; each test gets its own store and writes only keys under
 * a fresh random namespace, so a store backed by a shared bucket works too. Nothing here depends on
 * how a store is built.
 */
public abstract class ObjectStoreContractTest {

  private static final long TIMEOUT_SECONDS = 60;

  /** A new store; it is closed after each test. */
  protected abstract ObjectStore newStore() throws Exception;

  protected ObjectStore store;

  /** A unique key prefix for this test, ending in '/'. */
  protected String ns;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    ns = "contract-" + UUID.randomUUID() + "/";
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- create-only

  @Test
  void anObjectThatWasPutCanBeReadBack() {
    put(ns + "a", bytes("hello"));

    assertThat(get(ns + "a")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("hello")));
  }

  @Test
  void anEmptyObjectCanBeStoredAndReadBack() {
    put(ns + "empty", new byte[0]);

    assertThat(get(ns + "empty")).hasValueSatisfying(b -> assertThat(b).isEmpty());
    assertThat(list(ns, null, 10)).containsExactly(new ObjectInfo(ns + "empty", 0));
  }

  @Test
  void aSecondPutOfTheSameKeyFailsWithAlreadyExistsAndKeepsTheFirstContent() {
    put(ns + "k", bytes("first"));

    Throwable failure = failureOf(store.putIfAbsent(ns + "k", bytes("second")));

    assertThat(failure).isInstanceOf(ObjectAlreadyExistsException.class);
    assertThat(((ObjectAlreadyExistsException) failure).key()).isEqualTo(ns + "k");
    assertThat(get(ns + "k")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("first")));
  }

  @Test
  void aSecondPutWithIdenticalContentAlsoFailsWithAlreadyExists() {
    put(ns + "k", bytes("same"));

    assertThat(failureOf(store.putIfAbsent(ns + "k", bytes("same"))))
        .isInstanceOf(ObjectAlreadyExistsException.class);
  }

  @Test
  void changingTheCallersArrayAfterAPutDoesNotChangeTheStoredObject() {
    byte[] data = bytes("original");
    CompletionStage<Void> put = store.putIfAbsent(ns + "k", data);
    await(put);
    Arrays.fill(data, (byte) 'x');

    assertThat(get(ns + "k")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("original")));
  }

  @Test
  void concurrentPutsOfOneKeyFromManyThreadsHaveExactlyOneWinner() throws Exception {
    int writers = 16;
    String key = ns + "wal/contended/00000000000000000007";
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Throwable>> outcomes = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        byte[] content = bytes("writer-" + i);
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  return failureOrNull(store.putIfAbsent(key, content));
                }));
      }
      start.countDown();

      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        Throwable t = outcomes.get(i).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (t == null) {
          winners.add(i);
        } else {
          assertThat(t).isInstanceOf(ObjectAlreadyExistsException.class);
        }
      }
      assertThat(winners).hasSize(1);
      assertThat(get(key))
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("writer-" + winners.get(0))));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentPutsOfDifferentKeysAllSucceed() throws Exception {
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Throwable>> outcomes = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String key = ns + "segments/s/" + i;
        byte[] content = bytes("v" + i);
        outcomes.add(pool.submit(() -> failureOrNull(store.putIfAbsent(key, content))));
      }
      for (Future<Throwable> f : outcomes) {
        assertThat(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isNull();
      }
      assertThat(list(ns + "segments/s/", null, 100)).hasSize(writers);
      for (int i = 0; i < writers; i++) {
        int n = i;
        assertThat(get(ns + "segments/s/" + i))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("v" + n)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- get

  @Test
  void getOfAMissingKeyIsEmpty() {
    assertThat(get(ns + "missing")).isEmpty();
    assertThat(getRange(ns + "missing", 0, 10)).isEmpty();
  }

  @Test
  void getOfAKeyThatIsOnlyAPrefixOfStoredKeysIsEmpty() {
    put(ns + "dir/object", bytes("x"));

    assertThat(get(ns + "dir")).isEmpty();
    assertThat(get(ns + "dir/")).isEmpty();
  }

  @Test
  void rangedGetReturnsTheRequestedBytes() {
    put(ns + "r", bytes("0123456789"));

    assertRangeOfR(0, 4, "0123");
    assertRangeOfR(3, 4, "3456");
    assertRangeOfR(0, 10, "0123456789");
  }

  @Test
  void rangedGetPastTheEndReturnsOnlyTheRemainingBytes() {
    put(ns + "r", bytes("0123456789"));

    assertRangeOfR(7, 100, "789");
    assertRangeOfR(9, 1, "9");
  }

  @Test
  void rangedGetStartingAtOrBeyondTheEndReturnsNoBytes() {
    put(ns + "r", bytes("0123456789"));

    assertRangeOfR(10, 5, "");
    assertRangeOfR(1000, 5, "");
  }

  @Test
  void largeObjectsAreStoredAndReadWholeAndInRanges() {
    byte[] big = new byte[5 * 1024 * 1024 + 123];
    new Random(42).nextBytes(big);
    put(ns + "segments/big/00000000000000000000-00000000000000099999", big);

    assertThat(get(ns + "segments/big/00000000000000000000-00000000000000099999"))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
    int offset = 3 * 1024 * 1024 + 17;
    assertThat(
            getRange(ns + "segments/big/00000000000000000000-00000000000000099999", offset, 65536))
        .hasValueSatisfying(
            b -> assertThat(b).isEqualTo(Arrays.copyOfRange(big, offset, offset + 65536)));
    assertThat(list(ns + "segments/big/", null, 10))
        .containsExactly(
            new ObjectInfo(
                ns + "segments/big/00000000000000000000-00000000000000099999", big.length));
  }

  // ---------------------------------------------------------------- keys

  @Test
  void keysWithPunctuationDigitsAndLongNumbersRoundTrip() {
    List<String> keys =
        List.of(
            ns + "wal/node-1:channel_7/00000000000000000000",
            ns + "wal/node-1:channel_7/18446744073709551615",
            ns + "wal/node-1:channel_7/09223372036854775807",
            ns
                + "segments/3f2b8c1e-5d4a-4e1f-9a7b-0c6d2e8f1a3b/00000000004294967296-00000000004294967300",
            ns + "a:b-c_d/0",
            ns + "UPPER/lower/MiXeD");
    for (String k : keys) {
      put(k, bytes("content of " + k));
    }
    for (String k : keys) {
      assertThat(get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("content of " + k)));
    }
    assertThat(list(ns, null, 100))
        .extracting(ObjectInfo::key)
        .containsExactlyElementsOf(sorted(keys));
  }

  @Test
  void keysDifferingOnlyInCaseAreDistinctObjects() {
    put(ns + "case/abc", bytes("lower"));
    put(ns + "case/ABC", bytes("upper"));

    assertThat(get(ns + "case/abc"))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("lower")));
    assertThat(get(ns + "case/ABC"))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("upper")));
  }

  @Test
  void keysWithDotsAreOrdinaryKeys() {
    put(ns + "dots/a.b", bytes("1"));
    put(ns + "dots/x.tmp", bytes("2"));
    put(ns + "dots/y.obj", bytes("3"));

    assertThat(list(ns + "dots/", null, 10))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "dots/a.b", ns + "dots/x.tmp", ns + "dots/y.obj");
    assertThat(get(ns + "dots/x.tmp")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("2")));
  }

  // ---------------------------------------------------------------- list

  @Test
  void listReturnsKeysInByteOrderWithTheirSizes() {
    // '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < '0' (0x30): the order of whole keys, not of path
    // parts.
    List<String> keys =
        List.of(ns + "x/a-b", ns + "x/a.c", ns + "x/a/b", ns + "x/a/c/d", ns + "x/a0", ns + "x/b");
    List<String> shuffled = new ArrayList<>(keys);
    java.util.Collections.shuffle(shuffled, new Random(7));
    for (String k : shuffled) {
      put(k, new byte[k.length()]);
    }

    List<ObjectInfo> listed = list(ns + "x/", null, 100);

    assertThat(listed).extracting(ObjectInfo::key).containsExactlyElementsOf(keys);
    assertThat(listed).allSatisfy(i -> assertThat(i.size()).isEqualTo(i.key().length()));
  }

  @Test
  void aKeyAndLongerKeysUsingItAsADirectoryCoexist() {
    put(ns + "p/a", bytes("file"));
    put(ns + "p/a/b", bytes("nested"));

    assertThat(get(ns + "p/a")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("file")));
    assertThat(get(ns + "p/a/b")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("nested")));
    assertThat(list(ns + "p/", null, 10))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "p/a", ns + "p/a/b");
  }

  @Test
  void listWithAPrefixReturnsOnlyKeysStartingWithIt() {
    put(ns + "wal/a/00000000000000000001", bytes("1"));
    put(ns + "wal/a/00000000000000000002", bytes("2"));
    put(ns + "wal/ab/00000000000000000001", bytes("3"));
    put(ns + "segments/a/1-2", bytes("4"));

    assertThat(list(ns + "wal/a/", null, 100))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "wal/a/00000000000000000001", ns + "wal/a/00000000000000000002");
    assertThat(list(ns + "wal/a", null, 100))
        .extracting(ObjectInfo::key)
        .containsExactly(
            ns + "wal/a/00000000000000000001",
            ns + "wal/a/00000000000000000002",
            ns + "wal/ab/00000000000000000001");
    assertThat(list(ns + "wal/", null, 100)).hasSize(3);
    assertThat(list(ns, null, 100)).hasSize(4);
    assertThat(list(ns + "nothing/", null, 100)).isEmpty();
    assertThat(list(ns + "wal/a/00000000000000000001", null, 100))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "wal/a/00000000000000000001");
  }

  @Test
  void listStartAfterIsExclusiveAndNeedNotBeAStoredKey() {
    for (int i = 1; i <= 5; i++) {
      put(ns + "wal/c/" + seq(i * 10), bytes("x"));
    }

    assertThat(list(ns + "wal/c/", ns + "wal/c/" + seq(20), 100))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "wal/c/" + seq(30), ns + "wal/c/" + seq(40), ns + "wal/c/" + seq(50));
    assertThat(list(ns + "wal/c/", ns + "wal/c/" + seq(35), 100))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "wal/c/" + seq(40), ns + "wal/c/" + seq(50));
    assertThat(list(ns + "wal/c/", ns + "wal/c/" + seq(50), 100)).isEmpty();
    assertThat(list(ns + "wal/c/", ns + "wal/d", 100)).isEmpty();
  }

  @Test
  void listStartAfterBeforeThePrefixReturnsFromTheStartOfThePrefix() {
    put(ns + "b/1", bytes("x"));
    put(ns + "b/2", bytes("x"));
    put(ns + "a/1", bytes("x"));

    assertThat(list(ns + "b/", ns + "a/9", 100))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "b/1", ns + "b/2");
    assertThat(list(ns + "b/", "", 100)).hasSize(2);
  }

  @Test
  void listLimitPagesThroughAllKeysInOrder() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      keys.add(ns + "page/" + seq(i * 7L));
    }
    for (String k : keys) {
      put(k, bytes("x"));
    }

    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    while (true) {
      List<ObjectInfo> page = list(ns + "page/", after, 5);
      assertThat(page.size()).isLessThanOrEqualTo(5);
      if (page.isEmpty()) {
        break;
      }
      pages++;
      page.forEach(i -> seen.add(i.key()));
      after = page.get(page.size() - 1).key();
    }

    assertThat(seen).containsExactlyElementsOf(keys);
    assertThat(pages).isEqualTo(5);
  }

  // ---------------------------------------------------------------- delete

  @Test
  void aDeletedObjectIsGoneFromGetAndList() {
    put(ns + "d/1", bytes("one"));
    put(ns + "d/2", bytes("two"));

    await(store.delete(ns + "d/1"));

    assertThat(get(ns + "d/1")).isEmpty();
    assertThat(getRange(ns + "d/1", 0, 3)).isEmpty();
    assertThat(list(ns + "d/", null, 10)).extracting(ObjectInfo::key).containsExactly(ns + "d/2");
  }

  @Test
  void deleteIsIdempotentAndDeletingAMissingKeySucceeds() {
    put(ns + "d/1", bytes("one"));

    await(store.delete(ns + "d/1"));
    await(store.delete(ns + "d/1"));
    await(store.delete(ns + "never/existed"));

    assertThat(get(ns + "d/1")).isEmpty();
  }

  @Test
  void aDeletedKeyCanBeCreatedAgain() {
    put(ns + "d/1", bytes("old"));
    await(store.delete(ns + "d/1"));

    put(ns + "d/1", bytes("new"));

    assertThat(get(ns + "d/1")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("new")));
  }

  @Test
  void deletingTheOnlyObjectUnderAPrefixLeavesTheRestUsable() {
    put(ns + "seg/s1/1-2", bytes("x"));
    await(store.delete(ns + "seg/s1/1-2"));

    put(ns + "seg/s1/3-4", bytes("y"));

    assertThat(list(ns + "seg/", null, 10))
        .extracting(ObjectInfo::key)
        .containsExactly(ns + "seg/s1/3-4");
  }

  // ---------------------------------------------------------------- helpers

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected static String seq(long n) {
    return String.format("%020d", n);
  }

  private static List<String> sorted(List<String> keys) {
    List<String> s = new ArrayList<>(keys);
    s.sort(KeyOrder.UTF8);
    return s;
  }

  protected void put(String key, byte[] data) {
    await(store.putIfAbsent(key, data));
  }

  protected Optional<byte[]> get(String key) {
    return await(store.get(key));
  }

  /** Asserts that the ranged get of object {@code r} returns {@code expected}'s bytes. */
  private void assertRangeOfR(long offset, int length, String expected) {
    assertThat(getRange(ns + "r", offset, length))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes(expected)));
  }

  protected Optional<byte[]> getRange(String key, long offset, int length) {
    return await(store.getRange(key, offset, length));
  }

  protected List<ObjectInfo> list(String prefix, String startAfter, int limit) {
    return await(store.list(prefix, startAfter, limit));
  }

  protected static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("operation failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("operation did not complete: " + e, e);
    }
  }

  protected static Throwable failureOf(CompletionStage<?> stage) {
    Throwable t = failureOrNull(stage);
    assertThat(t).as("expected the operation to fail").isNotNull();
    return t;
  }

  private static Throwable failureOrNull(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("operation did not complete: " + e, e);
    }
  }

  @Test
  void aRejectedPutLeavesExactlyTheOriginalObjectListed() {
    put(ns + "k", bytes("v"));
    assertThatThrownBy(() -> await(store.putIfAbsent(ns + "k", bytes("w"))))
        .hasCauseInstanceOf(ObjectAlreadyExistsException.class);
    assertThat(list(ns, null, 10)).containsExactly(new ObjectInfo(ns + "k", 1));
  }
}
