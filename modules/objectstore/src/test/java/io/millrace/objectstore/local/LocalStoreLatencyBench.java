package io.millrace.objectstore.local;

import io.millrace.objectstore.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A benchmark, not a test (nothing is asserted; see docs/benchmarks.md): serial put latency of one
 * WAL-chunk-sized object at a time, for the layout-1 store ({@link LocalDirectoryObjectStore}), the
 * layout-2 journal ({@link JournalObjectStore}), and the disk's floor (a 4 KiB write + fdatasync at
 * increasing offsets of a preallocated file). Arguments: [dir] [count] [object bytes].
 */
public final class LocalStoreLatencyBench {

  public static void main(String[] args) throws Exception {
    Path base = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("store-bench");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 300;
    int warmup = Math.max(50, n / 10);
    System.out.printf(
        "dir %s, %d serial puts of %d B after %d unmeasured%n", base, n, size, warmup);
    System.out.println("| what | n | p50 | p99 | max |");
    System.out.println("|---|---|---|---|---|");
    try (ObjectStore s = new LocalDirectoryObjectStore(base.resolve("v1"))) {
      row("layout 1: temp file + fsync + link + directory fsync", measure(s, n, warmup, size));
    }
    try (ObjectStore s = new JournalObjectStore(base.resolve("v2"))) {
      row("layout 2: journal record + fdatasync", measure(s, n, warmup, size));
    }
    row(
        "floor: 4 KiB pwrite + fdatasync, preallocated file",
        floor(base.resolve("floor"), n, warmup));
    deleteTree(base.resolve("v1"));
    deleteTree(base.resolve("v2"));
    Files.deleteIfExists(base.resolve("floor"));
  }

  private static long[] measure(ObjectStore s, int n, int warmup, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(1).nextBytes(data);
    long[] t = new long[n];
    for (int i = 0; i < warmup + n; i++) {
      String key = String.format("wal/bench/%020d", i);
      long start = System.nanoTime();
      s.putIfAbsent(key, data).toCompletableFuture().get(60, TimeUnit.SECONDS);
      long took = System.nanoTime() - start;
      if (i >= warmup) {
        t[i - warmup] = took;
      }
    }
    return t;
  }

  private static long[] floor(Path file, int n, int warmup) throws Exception {
    long size = (long) (n + warmup + 1) * 4096;
    long[] t = new long[n];
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
      for (long pos = 0; pos < size; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
        pos += ch.write(zeros, pos);
      }
      ch.force(true);
      ByteBuffer page = ByteBuffer.allocateDirect(4096);
      for (int i = 0; i < warmup + n; i++) {
        page.clear().putLong(0, i);
        long start = System.nanoTime();
        ch.write(page, (long) i * 4096);
        ch.force(false);
        long took = System.nanoTime() - start;
        if (i >= warmup) {
          t[i - warmup] = took;
        }
      }
    }
    return t;
  }

  private static void row(String what, long[] t) {
    Arrays.sort(t);
    System.out.printf(
        "| %s | %d | %.2f ms | %.2f ms | %.2f ms |%n",
        what,
        t.length,
        t[t.length / 2] / 1e6,
        t[(int) Math.ceil(t.length * 0.99) - 1] / 1e6,
        t[t.length - 1] / 1e6);
  }

  private static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
