package io.millrace.objectstore.local;

import com.sun.nio.file.ExtendedOpenOption;
import io.millrace.core.KeyOrder;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} in a local directory, for single-node deployments and tests. The on-disk
 * layout is specified in {@code docs/formats/local-object-store.md}; the key to path mapping is
 * {@link KeyPaths}: key {@code wal/ch-1/00000000000000000042} is file {@code
 * <root>/wal/ch-1/00000000000000000042.obj}, and any key maps safely inside the root.
 *
 * <p>A put is durable and visible only once complete:
 *
 * <ol>
 *   <li>create the missing parent directories;
 *   <li>write the data to a new temporary file {@code <name>.obj.<random>.tmp} in the target
 *       directory and fsync it;
 *   <li>publish it create-only and atomically with a hard link to the target name ({@code link(2)}
 *       fails if the target exists, so a published object is never replaced), then remove the
 *       temporary name;
 *   <li>fsync the target directory and every directory whose entry is not yet known durable.
 * </ol>
 *
 * Only then does the put complete. A crash before step 3 leaves only a temporary file, which is
 * never listed or read and is removed when the store starts. An {@link IOException} (disk full,
 * permissions) fails the put with a retryable {@link ObjectStoreException}; its temporary file is
 * removed and nothing becomes visible. If the object was published but the final fsync failed, the
 * put fails although the object is visible, exactly as a timed-out S3 request may have landed.
 *
 * <p>Every key maps safely inside the root; a key the mapping cannot hold (empty, unpaired
 * surrogates, a segment longer than 200 encoded bytes) is rejected by the call itself with {@link
 * IllegalArgumentException}, as is a negative range or a non-positive list limit.
 *
 * <p>All I/O runs on a small dedicated thread pool (default {@value #DEFAULT_IO_THREADS} threads),
 * never on the caller's thread. The root must be on a local POSIX file system with hard links.
 */
public final class LocalDirectoryObjectStore implements ObjectStore {

  /** Default number of I/O threads. */
  public static final int DEFAULT_IO_THREADS = 4;

  private static final Logger log = LoggerFactory.getLogger(LocalDirectoryObjectStore.class);
  private static final int PUT_ATTEMPTS = 5;
  private static final AtomicInteger STORE_IDS = new AtomicInteger();

  /** Objects at least this large are written with direct I/O where the file system allows it. */
  static final int DIRECT_MIN_BYTES = 256 << 10;

  private static final int DIRECT_BUFFER_BYTES = 2 << 20;
  private static final int BUFFERED_SLICE_BYTES = 1 << 20;

  private final Path root;
  private final ExecutorService io;

  /**
   * The block size used for direct I/O: -1 until the first direct write, 0 once it turned out not
   * to work here (then every write is buffered).
   */
  private volatile int directBlock;

  /** Per I/O thread: an aligned buffer for direct writes. */
  private final ThreadLocal<ByteBuffer> directBuffers = new ThreadLocal<>();

  /** Directories whose entry in their parent is known to be durable. */
  private final Set<Path> durableDirs = ConcurrentHashMap.newKeySet();

  /** A store in {@code root} (created if missing) with {@value #DEFAULT_IO_THREADS} I/O threads. */
  public LocalDirectoryObjectStore(Path root) {
    this(root, DEFAULT_IO_THREADS);
  }

  /**
   * A store in {@code root} (created if missing) with {@code ioThreads} I/O threads. Removes
   * temporary files left by an earlier crash before returning.
   *
   * @throws ObjectStoreException if the root cannot be created or scanned
   */
  public LocalDirectoryObjectStore(Path root, int ioThreads) {
    this(root, ioThreads, true);
  }

  /**
   * As {@link #LocalDirectoryObjectStore(Path, int)}; {@code directIo} false writes every object
   * through the page cache (tests compare both ways).
   */
  LocalDirectoryObjectStore(Path root, int ioThreads, boolean directIo) {
    Objects.requireNonNull(root, "root");
    this.directBlock = directIo ? -1 : 0;
    if (ioThreads < 1) {
      throw new IllegalArgumentException("ioThreads must be at least 1: " + ioThreads);
    }
    this.root = root.toAbsolutePath().normalize();
    int removed;
    try {
      if (!Files.isDirectory(this.root)) {
        Files.createDirectories(this.root);
        if (this.root.getParent() != null) {
          fsyncDirectory(this.root.getParent());
        }
      }
      removed = removeStaleTempFiles();
    } catch (IOException e) {
      throw new ObjectStoreException("cannot open local object store at " + this.root, e);
    }
    int storeId = STORE_IDS.incrementAndGet();
    AtomicInteger threadIds = new AtomicInteger();
    this.io =
        Executors.newFixedThreadPool(
            ioThreads,
            r -> {
              Thread t =
                  new Thread(
                      r, "local-object-store-" + storeId + "-io-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    log.info(
        "Local object store at {} started with {} I/O threads; removed {} stale temporary files.",
        this.root,
        ioThreads,
        removed);
  }

  /** The root directory. */
  public Path root() {
    return root;
  }

  // ---------------------------------------------------------------- port

  @Override
  public CompletionStage<Void> putIfAbsent(String key, byte[] data) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(data, "data");
    Path target = KeyPaths.toPath(root, key);
    // handed over by the caller (see the port): written from as it is, no copy
    return submit(key, "put", () -> put(key, target, data));
  }

  @Override
  public CompletionStage<Optional<byte[]>> get(String key) {
    return submitOnFile(
        key,
        "get",
        file -> {
          try {
            return Optional.of(Files.readAllBytes(file));
          } catch (NoSuchFileException e) {
            return Optional.empty();
          }
        });
  }

  @Override
  public CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length) {
    Objects.requireNonNull(key, "key");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: " + offset + ", " + length);
    }
    Path file = KeyPaths.toPath(root, key);
    return submit(key, "ranged get", () -> readRange(file, offset, length));
  }

  @Override
  public CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    String p = prefix == null ? "" : prefix;
    String after = startAfter == null ? "" : startAfter;
    Path base = KeyPaths.listBase(root, p);
    return submit(p, "list", () -> listUnder(base, p, after, limit));
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    return submitOnFile(
        key,
        "delete",
        file -> {
          if (Files.deleteIfExists(file)) {
            fsyncDirectory(file.getParent());
            pruneEmptyDirectories(file.getParent());
          }
          return null;
        });
  }

  /** Stops the I/O threads after the calls already submitted; later calls fail. */
  @Override
  public void close() {
    io.shutdown();
  }

  // ---------------------------------------------------------------- internals

  private interface IoTask<T> {
    T run() throws IOException;
  }

  /** Submits {@code task} on the file of {@code key}. */
  private <T> CompletionStage<T> submitOnFile(String key, String what, FileTask<T> task) {
    Objects.requireNonNull(key, "key");
    Path file = KeyPaths.toPath(root, key);
    return submit(key, what, () -> task.run(file));
  }

  @FunctionalInterface
  private interface FileTask<T> {
    T run(Path file) throws IOException;
  }

  private <T> CompletionStage<T> submit(String key, String what, IoTask<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      io.execute(
          () -> {
            try {
              result.complete(task.run());
            } catch (IOException e) {
              result.completeExceptionally(
                  new ObjectStoreException(
                      what + " of " + key + " in " + root + " failed: " + e, e));
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new ObjectStoreException("local object store at " + root + " is closed", e));
    }
    return result;
  }

  private Void put(String key, Path target, byte[] data) throws IOException {
    Path dir = target.getParent();
    for (int attempt = 1; ; attempt++) {
      if (Files.exists(target)) {
        throw new ObjectAlreadyExistsException(key);
      }
      Path temp;
      try {
        createDirectories(dir);
        temp = writeTemp(dir, target.getFileName().toString(), data);
      } catch (NoSuchFileException e) {
        // A concurrent delete pruned a directory we had just created or found: start again.
        if (attempt < PUT_ATTEMPTS) {
          continue;
        }
        throw e;
      }
      try {
        Files.createLink(target, temp);
      } catch (FileAlreadyExistsException e) {
        throw new ObjectAlreadyExistsException(key);
      } finally {
        deleteQuietly(temp);
      }
      fsyncDirectory(dir);
      makeDirectoryEntriesDurable(dir);
      return null;
    }
  }

  private Path writeTemp(Path dir, String name, byte[] data) throws IOException {
    Path temp =
        dir.resolve(
            name
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1)
                + KeyPaths.TEMP_SUFFIX);
    boolean ok = false;
    try (Temp t = openTemp(temp, data.length)) {
      FileChannel ch = t.ch();
      if (t.directBlock() > 0) {
        writeDirect(ch, data, t.directBlock());
      } else {
        // In slices: the JDK copies a heap buffer into a temporary direct buffer of the slice's
        // size, which it keeps per thread and reuses.
        for (int off = 0; off < data.length; off += BUFFERED_SLICE_BYTES) {
          ByteBuffer buf =
              ByteBuffer.wrap(data, off, Math.min(BUFFERED_SLICE_BYTES, data.length - off));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }
      }
      ch.force(true);
      ok = true;
    } finally {
      if (!ok) {
        deleteQuietly(temp);
      }
    }
    return temp;
  }

  /** An open temporary file, and the block size its {@code O_DIRECT} writes use (0: buffered). */
  private record Temp(FileChannel ch, int directBlock) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  /**
   * Creates the temporary file: with {@code O_DIRECT} for a large object while direct I/O works
   * here, so that writing it does not fill the page cache with data nobody reads soon (on this path
   * that cost more CPU than the rest of the write). The first refusal (a file system without direct
   * I/O, such as some tmpfs) turns it off for this store.
   */
  private Temp openTemp(Path temp, int length) throws IOException {
    if (length >= DIRECT_MIN_BYTES && directBlock != 0) {
      try {
        int block = directBlock;
        if (block < 0) {
          long size = Files.getFileStore(temp.getParent()).getBlockSize();
          if (size <= 0 || size > DIRECT_BUFFER_BYTES || Long.bitCount(size) != 1) {
            throw new IOException("unusable block size " + size);
          }
          block = (int) size;
          directBlock = block;
        }
        FileChannel ch =
            FileChannel.open(
                temp,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT);
        return new Temp(ch, block);
      } catch (NoSuchFileException | FileAlreadyExistsException e) {
        throw e; // the caller's retry and create-only logic
      } catch (IOException | UnsupportedOperationException e) {
        directBlock = 0;
        deleteQuietly(temp);
        log.info(
            "Direct I/O is not available for the local object store at {} ({}); large objects are"
                + " written through the page cache.",
            root,
            e.toString());
      }
    }
    return new Temp(
        FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0);
  }

  /**
   * Writes {@code data} to a file opened with {@code O_DIRECT}: whole blocks from an aligned
   * buffer, the last one padded with zeros, then the file cut to the object's length.
   */
  private void writeDirect(FileChannel ch, byte[] data, int block) throws IOException {
    ByteBuffer buf = directBuffers.get();
    if (buf == null) { // the store's block size never changes once found
      buf = ByteBuffer.allocateDirect(DIRECT_BUFFER_BYTES + block).alignedSlice(block);
      directBuffers.set(buf);
    }
    long pos = 0;
    for (int off = 0; off < data.length; ) {
      int n = Math.min(buf.capacity(), data.length - off);
      buf.clear();
      buf.put(data, off, n);
      int padded = (n + block - 1) / block * block;
      while (buf.position() < padded) {
        buf.put((byte) 0);
      }
      buf.flip();
      while (buf.hasRemaining()) {
        pos += ch.write(buf, pos);
      }
      off += n;
    }
    if (pos != data.length) {
      ch.truncate(data.length);
    }
  }

  private void createDirectories(Path dir) throws IOException {
    List<Path> missing = new ArrayList<>();
    for (Path d = dir; !d.equals(root) && !Files.isDirectory(d); d = d.getParent()) {
      missing.add(0, d);
    }
    for (Path d : missing) {
      try {
        Files.createDirectory(d);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(d)) {
          throw new IOException("not a directory: " + d, e);
        }
      }
    }
  }

  /** Fsyncs the parent of every directory from the root down to {@code dir} not yet durable. */
  private void makeDirectoryEntriesDurable(Path dir) throws IOException {
    List<Path> chain = new ArrayList<>();
    for (Path d = dir; !d.equals(root); d = d.getParent()) {
      chain.add(0, d);
    }
    for (Path d : chain) {
      if (!durableDirs.contains(d)) {
        fsyncDirectory(d.getParent());
        durableDirs.add(d);
      }
    }
  }

  private void pruneEmptyDirectories(Path dir) {
    for (Path d = dir; !d.equals(root); d = d.getParent()) {
      // Forget durability first: a put that re-creates d after this must fsync its entry again.
      durableDirs.remove(d);
      try {
        Files.delete(d);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return;
      } catch (IOException e) {
        log.debug("Could not remove empty directory {} of the local object store: {}", d, e);
        return;
      }
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static Optional<byte[]> readRange(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (offset >= size) {
        return Optional.of(new byte[0]);
      }
      int n = (int) Math.min(length, size - offset);
      ByteBuffer buf = ByteBuffer.allocate(n);
      long pos = offset;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          break;
        }
        pos += r;
      }
      if (buf.hasRemaining()) {
        byte[] out = new byte[buf.position()];
        buf.flip().get(out);
        return Optional.of(out);
      }
      return Optional.of(buf.array());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private List<ObjectInfo> listUnder(Path base, String prefix, String startAfter, int limit)
      throws IOException {
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    List<ObjectInfo> found = new ArrayList<>();
    Files.walkFileTree(
        base,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile() && !KeyPaths.isTempFile(file)) {
              KeyPaths.toKey(root, file)
                  .filter(k -> k.startsWith(prefix) && KeyOrder.compare(k, startAfter) > 0)
                  .ifPresent(k -> found.add(new ObjectInfo(k, attrs.size())));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE; // deleted while we walked
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    found.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
    return List.copyOf(found.subList(0, Math.min(limit, found.size())));
  }

  private int removeStaleTempFiles() throws IOException {
    AtomicInteger removed = new AtomicInteger();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile() && KeyPaths.isTempFile(file)) {
              Files.deleteIfExists(file);
              removed.incrementAndGet();
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return removed.get();
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.warn("Could not remove temporary file {} of the local object store: {}", p, e.toString());
    }
  }
}
