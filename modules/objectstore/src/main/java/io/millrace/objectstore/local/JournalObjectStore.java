package io.millrace.objectstore.local;

import com.typesafe.config.Config;
import io.millrace.core.KeyOrder;
import io.millrace.objectstore.ObjectAlreadyExistsException;
import io.millrace.objectstore.ObjectInfo;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded object store, layout version 2 ({@code docs/formats/local-object-store.md}, ADR
 * 0009): objects up to {@link Options#largeObjectBytes} are appended to preallocated, checksummed
 * journal files in {@code <root>/journal.d/}, one {@code fdatasync} per group of puts and deletes;
 * larger objects (segments) and every object of a layout-1 directory are files of the layout-1
 * tree, handled by a {@link LocalDirectoryObjectStore} on the same root.
 *
 * <p>One writer thread takes every queued put and delete, appends their records to the active
 * journal file with one write, makes them durable with one {@code fdatasync} (the file's blocks are
 * allocated and written beforehand, so no metadata changes), and only then publishes them to the
 * in-memory index and completes them. Create-only: a put fails with {@link
 * ObjectAlreadyExistsException} if the index or the file tree has the key; two puts of one key are
 * never in flight together. Deletes append a tombstone naming the put record they delete.
 *
 * <p>Opening replays every journal file in order (each record checked by its CRC-32C) to rebuild
 * the index; the last written file is cut at its first invalid byte (a torn write of a put that was
 * never acknowledged), and writing continues in a fresh file. Space comes back when a file no
 * longer holds live objects: files less than half live are copied forward, then deleted.
 */
public final class JournalObjectStore implements ObjectStore {

  /** The layout version this class writes (the {@code LAYOUT} file in the root). */
  public static final int LAYOUT_VERSION = 2;

  static final String JOURNAL_DIR = "journal.d";
  static final String LAYOUT_FILE = "LAYOUT";
  static final String LAYOUT_TEXT = "millrace-local-object-store " + LAYOUT_VERSION + "\n";
  private static final Pattern JOURNAL_NAME = Pattern.compile("(\\d{20})\\.jnl");
  private static final Pattern FREE_NAME = Pattern.compile("(\\d{20})\\.free");
  private static final Pattern LAYOUT_LINE = Pattern.compile("millrace-local-object-store (\\d+)");

  private static final Logger log = LoggerFactory.getLogger(JournalObjectStore.class);
  private static final AtomicInteger STORE_IDS = new AtomicInteger();
  private static final int MAX_BATCH_BYTES = 16 << 20;
  private static final int COPY_STEP_BYTES = 4 << 20;
  private static final int READ_ATTEMPTS = 8;

  /**
   * Settings of the embedded store.
   *
   * @param ioThreads threads for reads, completions and the layout-1 file tree
   * @param journalFileBytes size of each preallocated journal file
   * @param largeObjectBytes objects larger than this are files of the layout-1 tree
   * @param recycledFiles how many reclaimed journal files are kept to become later journal files
   *     (instead of deleting them and writing new ones full of zeros); 0 turns reuse off
   */
  public record Options(
      int ioThreads, long journalFileBytes, int largeObjectBytes, int recycledFiles) {
    /** Reclaimed files kept for reuse by default (as {@code reference.conf}). */
    public static final int DEFAULT_RECYCLED_FILES = 16;

    /** The defaults of {@code reference.conf}: 4 threads, 64 MiB files, 4 MiB objects, reuse 16. */
    public static Options defaults() {
      return new Options(4, 64L << 20, 4 << 20, DEFAULT_RECYCLED_FILES);
    }

    /** Settings that keep up to {@link #DEFAULT_RECYCLED_FILES} reclaimed files for reuse. */
    public Options(int ioThreads, long journalFileBytes, int largeObjectBytes) {
      this(ioThreads, journalFileBytes, largeObjectBytes, DEFAULT_RECYCLED_FILES);
    }

    public Options {
      if (ioThreads < 1) {
        throw new IllegalArgumentException("ioThreads must be at least 1: " + ioThreads);
      }
      if (recycledFiles < 0 || recycledFiles > 64) {
        throw new IllegalArgumentException(
            "recycled-journal-files must be between 0 and 64: " + recycledFiles);
      }
      if (largeObjectBytes < 0 || largeObjectBytes > (256 << 20)) {
        throw new IllegalArgumentException(
            "large-object-size must be between 0 and 256 MiB: " + largeObjectBytes);
      }
      long min = (long) largeObjectBytes + (128 << 10);
      if (journalFileBytes < min || journalFileBytes > (1L << 30)) {
        throw new IllegalArgumentException(
            "journal-file-size must be between large-object-size + 128 KiB ("
                + min
                + ") and 1 GiB: "
                + journalFileBytes);
      }
    }

    /** Reads {@code millrace.objectstore.local} (see {@code reference.conf}). */
    public static Options fromConfig(Config config) {
      Config c = config.getConfig("millrace.objectstore.local");
      return new Options(
          c.getInt("io-threads"),
          c.getBytes("journal-file-size"),
          Math.toIntExact(c.getBytes("large-object-size")),
          c.getInt("recycled-journal-files"));
    }
  }

  /** Where a put record is: journal file, record offset, key and data length. */
  record Loc(long file, long offset, int keyLength, int dataLength) {
    long dataPosition() {
      return offset + JournalFormat.RECORD_HEADER + keyLength;
    }

    int recordLength() {
      return JournalFormat.RECORD_HEADER + keyLength + dataLength;
    }
  }

  private record Tomb(String key, long file, long offset) {}

  /** One journal file. Counters and sets are touched by the writer thread (or while opening). */
  private static final class JFile {
    final long seq;
    final Path path;
    final FileChannel ch;
    final long capacity;

    /** What its record CRCs start from ({@link JournalFormat#crcSeed}). */
    final long seed;

    long end;
    long liveBytes;
    final Set<String> liveKeys = new LinkedHashSet<>();
    final List<Tomb> tombs = new ArrayList<>();
    boolean tombsForwarded;

    JFile(long seq, int version, Path path, FileChannel ch, long capacity, long end) {
      this.seq = seq;
      this.seed = JournalFormat.crcSeed(version, seq);
      this.path = path;
      this.ch = ch;
      this.capacity = capacity;
      this.end = end;
    }
  }

  private sealed interface Request permits PutReq, DeleteReq, MoveReq, TombCopyReq, StopReq {
    default String key() {
      return null;
    }
  }

  private record PutReq(String key, byte[] keyBytes, byte[] data, CompletableFuture<Void> done)
      implements Request {}

  private record DeleteReq(String key, byte[] keyBytes, CompletableFuture<Void> done)
      implements Request {}

  private record MoveReq(String key, Loc from) implements Request {}

  private record TombCopyReq(String key, long file, long offset) implements Request {}

  private record StopReq() implements Request {}

  private final Path root;
  private final Path journalDir;
  private final Options options;
  private final LocalDirectoryObjectStore tree;
  private final ExecutorService io;
  private final ExecutorService completer;
  private final Thread writer;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final ConcurrentSkipListMap<String, Loc> index =
      new ConcurrentSkipListMap<>(KeyOrder.UTF8);
  private final ConcurrentSkipListMap<Long, JFile> journals = new ConcurrentSkipListMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight =
      new ConcurrentHashMap<>();

  /** Reclaimed journal files ({@code <seq>.free}, full size) waiting to be reused. */
  private final ConcurrentLinkedDeque<Path> freeFiles = new ConcurrentLinkedDeque<>();

  private volatile boolean closed;
  private volatile IOException failed;

  // Writer-thread state.
  private JFile active;
  private long nextSeq;
  private CompletableFuture<JFile> spare;
  private ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
  private boolean maintenanceDue = true;

  /** A store in {@code root} with {@link Options#defaults()}. */
  public JournalObjectStore(Path root) {
    this(root, Options.defaults());
  }

  /**
   * Opens (or creates) the store in {@code root}: a layout-1 directory is adopted (its objects stay
   * files and remain readable), the journal is replayed and its torn tail cut.
   *
   * @throws ObjectStoreException if the root cannot be opened, is of a newer layout, or a journal
   *     file other than the last written one is damaged
   */
  public JournalObjectStore(Path root, Options options) {
    Objects.requireNonNull(root, "root");
    this.options = Objects.requireNonNull(options, "options");
    this.root = root.toAbsolutePath().normalize();
    this.journalDir = this.root.resolve(JOURNAL_DIR);
    this.tree = new LocalDirectoryObjectStore(this.root, options.ioThreads());
    int storeId = STORE_IDS.incrementAndGet();
    AtomicInteger threadIds = new AtomicInteger();
    this.io =
        Executors.newFixedThreadPool(
            options.ioThreads(),
            r -> {
              Thread t =
                  new Thread(r, "journal-store-" + storeId + "-io-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.completer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "journal-store-" + storeId + "-acks");
              t.setDaemon(true);
              return t;
            });
    try {
      checkLayout();
      recover();
      active = prepare(nextSeq++);
      journals.put(active.seq, active);
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      if (e instanceof ObjectStoreException ose) {
        throw ose;
      }
      throw new ObjectStoreException("cannot open the local object store at " + this.root, e);
    }
    this.writer = new Thread(this::runWriter, "journal-store-" + storeId + "-writer");
    writer.setDaemon(true);
    writer.start();
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
    KeyPaths.toPath(root, key); // rejects keys the layout cannot hold
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    if (keyBytes.length > JournalFormat.MAX_KEY_BYTES) {
      throw new IllegalArgumentException("key longer than 65535 UTF-8 bytes");
    }
    return reserveAndPut(key, keyBytes, data); // handed over: no copy (see the port)
  }

  private CompletionStage<Void> reserveAndPut(String key, byte[] keyBytes, byte[] data) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> earlier = inFlight.putIfAbsent(key, mine);
    if (earlier != null) {
      // Another put of this key is in flight: decide after it (it wins unless it fails).
      return earlier.handle((v, e) -> null).thenCompose(x -> reserveAndPut(key, keyBytes, data));
    }
    CompletionStage<Void> op;
    if (data.length > options.largeObjectBytes()) {
      op =
          index.containsKey(key)
              ? CompletableFuture.failedFuture(new ObjectAlreadyExistsException(key))
              : tree.putIfAbsent(key, data);
    } else {
      CompletableFuture<Void> done = new CompletableFuture<>();
      enqueue(new PutReq(key, keyBytes, data, done), done);
      op = done;
    }
    op.whenComplete(
        (v, e) -> {
          inFlight.remove(key, mine);
          if (e == null) {
            mine.complete(null);
          } else {
            mine.completeExceptionally(unwrap(e));
          }
        });
    return mine;
  }

  @Override
  public CompletionStage<Optional<byte[]>> get(String key) {
    Objects.requireNonNull(key, "key");
    KeyPaths.toPath(root, key);
    return readOrFallBack(key, 0, -1, () -> tree.get(key));
  }

  @Override
  public CompletionStage<Optional<byte[]>> getRange(String key, long offset, int length) {
    Objects.requireNonNull(key, "key");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: " + offset + ", " + length);
    }
    KeyPaths.toPath(root, key);
    return readOrFallBack(key, offset, length, () -> tree.getRange(key, offset, length));
  }

  @Override
  public CompletionStage<List<ObjectInfo>> list(String prefix, String startAfter, int limit) {
    String p = prefix == null ? "" : prefix;
    String after = startAfter == null ? "" : startAfter;
    CompletionStage<List<ObjectInfo>> files = tree.list(p, after, limit); // validates limit
    return files.thenApply(
        fromFiles -> {
          List<ObjectInfo> merged = new ArrayList<>(fromFiles);
          Map<String, Loc> range =
              KeyOrder.compare(after, p) >= 0 ? index.tailMap(after, false) : index.tailMap(p);
          int n = 0;
          for (Map.Entry<String, Loc> e : range.entrySet()) {
            if (!e.getKey().startsWith(p) || n++ >= limit) {
              break;
            }
            merged.add(new ObjectInfo(e.getKey(), e.getValue().dataLength()));
          }
          merged.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
          return List.copyOf(merged.subList(0, Math.min(limit, merged.size())));
        });
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    Objects.requireNonNull(key, "key");
    KeyPaths.toPath(root, key);
    if (!index.containsKey(key)) {
      return tree.delete(key);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    enqueue(new DeleteReq(key, key.getBytes(StandardCharsets.UTF_8), done), done);
    return done;
  }

  /**
   * Completes the puts and deletes already queued, then stops the writer and the I/O threads; later
   * calls fail.
   */
  @Override
  public void close() {
    synchronized (queue) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(new StopReq());
    }
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly();
  }

  private void closeQuietly() {
    io.shutdown();
    completer.shutdown();
    tree.close();
    try {
      // The prepared file may still be being written: let it finish, so nothing is left running.
      io.awaitTermination(30, TimeUnit.SECONDS);
      completer.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    CompletableFuture<JFile> s = spare;
    if (s != null) {
      s.thenAccept(f -> closeChannel(f.ch));
    }
    for (JFile f : journals.values()) {
      closeChannel(f.ch);
    }
  }

  // ---------------------------------------------------------------- reads

  @FunctionalInterface
  private interface Fallback {
    CompletionStage<Optional<byte[]>> run();
  }

  private CompletionStage<Optional<byte[]>> readOrFallBack(
      String key, long offset, int length, Fallback fallback) {
    if (!index.containsKey(key)) {
      return fallback.run();
    }
    CompletableFuture<Optional<byte[]>> result = new CompletableFuture<>();
    try {
      io.execute(
          () -> {
            try {
              Optional<byte[]> r = readJournal(key, offset, length);
              if (r != null) {
                result.complete(r);
              } else {
                fallback.run().whenComplete((v, e) -> complete(result, v, e));
              }
            } catch (IOException e) {
              result.completeExceptionally(
                  new ObjectStoreException("read of " + key + " in " + root + " failed: " + e, e));
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(closedException(e));
    }
    return result;
  }

  /** The bytes from the journal, or null if the journal does not hold the key. */
  private Optional<byte[]> readJournal(String key, long offset, int length) throws IOException {
    for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      Loc loc = index.get(key);
      if (loc == null) {
        return null;
      }
      JFile f = journals.get(loc.file());
      if (f == null) {
        continue; // moved by compaction in the meantime
      }
      long from = Math.min(offset, loc.dataLength());
      int n = (int) (length < 0 ? loc.dataLength() : Math.min(length, loc.dataLength() - from));
      byte[] out = new byte[n];
      ByteBuffer b = ByteBuffer.wrap(out);
      long pos = loc.dataPosition() + from;
      try {
        while (b.hasRemaining()) {
          int r = f.ch.read(b, pos + b.position());
          if (r < 0) {
            throw new IOException("journal file " + f.path + " ends inside an object");
          }
        }
      } catch (ClosedChannelException e) {
        if (closed) {
          throw new IOException("the store is closed", e);
        }
        continue; // the file was deleted after its objects moved: look the key up again
      }
      return Optional.of(out);
    }
    throw new IOException("object " + key + " kept moving while being read");
  }

  // ---------------------------------------------------------------- writer

  private void enqueue(Request r, CompletableFuture<Void> done) {
    IOException f = failed;
    if (f != null) {
      done.completeExceptionally(failedException(f));
      return;
    }
    synchronized (queue) {
      if (!closed) {
        queue.add(r);
        return;
      }
    }
    done.completeExceptionally(closedException(null));
  }

  private void runWriter() {
    Deque<Request> pending = new ArrayDeque<>();
    try {
      while (true) {
        if (pending.isEmpty()) {
          Request r = queue.poll();
          if (r == null) {
            if (maintenanceDue && failed == null) {
              maintenanceDue = maintain();
              continue;
            }
            r = queue.take();
          }
          pending.add(r);
          queue.drainTo(pending, 4096);
        }
        if (pending.peekFirst() instanceof StopReq) {
          break;
        }
        processBatch(pending);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.error("Writer of the local object store at {} stopped: {}", root, t.toString(), t);
      failed = new IOException("writer stopped: " + t, t);
    }
    // Fail whatever is left (only after a stop or a crash of this thread).
    List<Request> left = new ArrayList<>(pending);
    queue.drainTo(left);
    for (Request r : left) {
      failRequest(r, closedException(null));
    }
  }

  /** A record queued for the current batch, published once the batch is durable. */
  private record Staged(Request req, Loc loc, Loc deleted) {}

  private long bufFilePos;
  private boolean dirty;

  /** Takes requests from the head of {@code pending} into one group commit. */
  private void processBatch(Deque<Request> pending) {
    Set<String> touched = new HashSet<>();
    List<Staged> staged = new ArrayList<>();
    List<Runnable> completions = new ArrayList<>();
    buf.clear();
    bufFilePos = active.end;
    dirty = false;
    long bytes = 0;
    try {
      while (!pending.isEmpty() && bytes < MAX_BATCH_BYTES) {
        Request r = pending.peekFirst();
        if (r instanceof StopReq || !touched.add(r.key())) {
          break; // a second request for one key waits for the next batch
        }
        pending.pollFirst();
        IOException f = failed;
        if (f != null) {
          failRequest(r, failedException(f));
          continue;
        }
        if (r instanceof PutReq p) {
          if (index.containsKey(p.key()) || Files.exists(KeyPaths.toPath(root, p.key()))) {
            CompletableFuture<Void> d = p.done();
            completions.add(
                () -> d.completeExceptionally(new ObjectAlreadyExistsException(p.key())));
            continue;
          }
          int len = JournalFormat.putLength(p.keyBytes(), p.data().length);
          if (!reserve(len, r, completions)) {
            continue;
          }
          Loc loc = new Loc(active.seq, active.end, p.keyBytes().length, p.data().length);
          JournalFormat.writePut(buf, active.seed, p.keyBytes(), p.data(), 0, p.data().length);
          active.end += len;
          bytes += len;
          staged.add(new Staged(r, loc, null));
        } else if (r instanceof DeleteReq d) {
          Loc cur = index.get(d.key());
          if (cur == null) {
            staged.add(new Staged(r, null, null));
            continue;
          }
          int len = JournalFormat.deleteLength(d.keyBytes());
          if (!reserve(len, r, completions)) {
            continue;
          }
          Loc loc = new Loc(active.seq, active.end, d.keyBytes().length, 0);
          JournalFormat.writeDelete(buf, active.seed, d.keyBytes(), cur.file(), cur.offset());
          active.end += len;
          bytes += len;
          staged.add(new Staged(r, loc, cur));
        } else if (r instanceof MoveReq m) {
          if (!m.from().equals(index.get(m.key())) || !journals.containsKey(m.from().file())) {
            continue;
          }
          byte[] data = readRecordData(m.from());
          byte[] keyBytes = m.key().getBytes(StandardCharsets.UTF_8);
          int len = JournalFormat.putLength(keyBytes, data.length);
          if (!reserve(len, r, completions)) {
            continue;
          }
          Loc loc = new Loc(active.seq, active.end, keyBytes.length, data.length);
          JournalFormat.writePut(buf, active.seed, keyBytes, data, 0, data.length);
          active.end += len;
          bytes += len;
          staged.add(new Staged(r, loc, m.from()));
        } else if (r instanceof TombCopyReq t) {
          byte[] keyBytes = t.key().getBytes(StandardCharsets.UTF_8);
          int len = JournalFormat.deleteLength(keyBytes);
          if (!reserve(len, r, completions)) {
            continue;
          }
          Loc loc = new Loc(active.seq, active.end, keyBytes.length, 0);
          JournalFormat.writeDelete(buf, active.seed, keyBytes, t.file(), t.offset());
          active.end += len;
          bytes += len;
          staged.add(new Staged(r, loc, null));
        }
      }
      writeOut(true);
    } catch (IOException | RuntimeException e) {
      // The active file's state is unknown: stop accepting writes until the store is reopened
      // (opening cuts the journal at the last valid record).
      log.error("Write to the journal of the local object store at {} failed: {}", root, e, e);
      IOException cause = e instanceof IOException ioe ? ioe : new IOException(e.toString(), e);
      failed = cause;
      ObjectStoreException ex = failedException(cause);
      for (Staged s : staged) {
        failRequest(s.req(), ex);
      }
      runAll(completions);
      return;
    }
    for (Staged s : staged) {
      publish(s, completions);
    }
    maintenanceDue = maintenanceDue || !staged.isEmpty();
    if (spare == null && active.end * 2 > active.capacity) {
      startSpare(); // the next file is prepared while the second half of this one fills
    }
    runAll(completions);
  }

  /** Makes room for a record of {@code len} bytes, rolling to a new file if needed. */
  private boolean reserve(int len, Request r, List<Runnable> completions) throws IOException {
    int need = len + JournalFormat.END_MARKER;
    if (active.end + len <= active.capacity) {
      if (buf.remaining() < need) {
        writeOut(false);
        if (buf.capacity() < need) {
          buf = ByteBuffer.allocateDirect(need);
        }
      }
      return true;
    }
    writeOut(true);
    JFile next;
    try {
      next = takeSpare();
    } catch (IOException e) {
      log.warn("Cannot prepare a journal file in {}: {}", journalDir, e.toString());
      CompletableFuture<Void> d = doneOf(r);
      if (d != null) {
        ObjectStoreException ex =
            new ObjectStoreException(
                "cannot prepare a journal file in " + journalDir + ": " + e, e);
        completions.add(() -> d.completeExceptionally(ex));
      }
      return false;
    }
    journals.put(next.seq, next);
    active = next;
    bufFilePos = active.end;
    if (buf.capacity() < need) {
      buf = ByteBuffer.allocateDirect(need);
    }
    return true;
  }

  /**
   * Writes the buffered records to the active file, followed in the same write by the end marker
   * (zeros, which the next write overwrites), and, if {@code sync}, fdatasyncs it. The marker ends
   * the records in a reused file, whose later bytes are those of its earlier use.
   */
  private void writeOut(boolean sync) throws IOException {
    int records = buf.position();
    if (records > 0) {
      long recordsEnd = bufFilePos + records;
      int marker = (int) Math.min(JournalFormat.END_MARKER, active.capacity - recordsEnd);
      for (int i = 0; i < marker; i++) {
        buf.put((byte) 0);
      }
      buf.flip();
      long pos = bufFilePos;
      while (buf.hasRemaining()) {
        pos += active.ch.write(buf, pos);
      }
      bufFilePos = recordsEnd;
      dirty = true;
    }
    buf.clear();
    if (sync && dirty) {
      active.ch.force(false);
      dirty = false;
    }
  }

  private void publish(Staged s, List<Runnable> completions) {
    Request r = s.req();
    if (r instanceof PutReq p) {
      addLive(p.key(), s.loc());
      index.put(p.key(), s.loc());
      completions.add(() -> p.done().complete(null));
    } else if (r instanceof DeleteReq d) {
      if (s.loc() != null) {
        index.remove(d.key(), s.deleted());
        removeLive(d.key(), s.deleted());
        journals
            .get(s.loc().file())
            .tombs
            .add(new Tomb(d.key(), s.deleted().file(), s.deleted().offset()));
      }
      completions.add(() -> d.done().complete(null));
    } else if (r instanceof MoveReq m) {
      if (index.replace(m.key(), m.from(), s.loc())) {
        removeLive(m.key(), m.from());
        addLive(m.key(), s.loc());
      }
    } else if (r instanceof TombCopyReq t) {
      journals.get(s.loc().file()).tombs.add(new Tomb(t.key(), t.file(), t.offset()));
    }
  }

  private void addLive(String key, Loc loc) {
    JFile f = journals.get(loc.file());
    if (f != null) {
      f.liveBytes += loc.recordLength();
      f.liveKeys.add(key);
    }
  }

  private void removeLive(String key, Loc loc) {
    JFile f = journals.get(loc.file());
    if (f != null && f.liveKeys.remove(key)) {
      f.liveBytes -= loc.recordLength();
    }
  }

  private byte[] readRecordData(Loc loc) throws IOException {
    JFile f = journals.get(loc.file());
    byte[] out = new byte[loc.dataLength()];
    ByteBuffer b = ByteBuffer.wrap(out);
    while (b.hasRemaining()) {
      if (f.ch.read(b, loc.dataPosition() + b.position()) < 0) {
        throw new IOException("journal file " + f.path + " ends inside an object");
      }
    }
    return out;
  }

  private static CompletableFuture<Void> doneOf(Request r) {
    if (r instanceof PutReq p) {
      return p.done();
    }
    if (r instanceof DeleteReq d) {
      return d.done();
    }
    return null;
  }

  private void failRequest(Request r, Throwable t) {
    CompletableFuture<Void> d = doneOf(r);
    if (d != null) {
      runAll(List.of(() -> d.completeExceptionally(t)));
    }
  }

  /** Completes callers in order on one thread of their own, never on the writer thread. */
  private void runAll(List<Runnable> completions) {
    if (completions.isEmpty()) {
      return;
    }
    Runnable all =
        () -> {
          for (Runnable c : completions) {
            c.run();
          }
        };
    try {
      completer.execute(all);
    } catch (RejectedExecutionException e) {
      all.run();
    }
  }

  // ---------------------------------------------------------------- space

  /**
   * One step of reclaiming space, run by the writer when no request waits: deletes the oldest file
   * that holds nothing needed any more, or copies forward what keeps one alive. False when there is
   * nothing to do.
   */
  private boolean maintain() {
    try {
      for (JFile f : journals.values()) {
        if (f == active) {
          return false;
        }
        if (f.liveKeys.isEmpty()) {
          List<Request> forward = new ArrayList<>();
          if (!f.tombsForwarded) {
            for (Tomb t : f.tombs) {
              if (t.file() != f.seq && journals.containsKey(t.file())) {
                forward.add(new TombCopyReq(t.key(), t.file(), t.offset()));
              }
            }
          }
          if (forward.isEmpty()) {
            deleteFile(f);
          } else {
            runInternal(forward);
            f.tombsForwarded = failed == null;
          }
          return true;
        }
        if (f.liveBytes * 2 < f.end - JournalFormat.FILE_HEADER) {
          List<Request> moves = new ArrayList<>();
          long bytes = 0;
          for (String k : f.liveKeys) {
            Loc loc = index.get(k);
            if (loc != null && loc.file() == f.seq) {
              moves.add(new MoveReq(k, loc));
              bytes += loc.recordLength();
              if (bytes >= COPY_STEP_BYTES) {
                break;
              }
            }
          }
          if (moves.isEmpty()) {
            continue;
          }
          runInternal(moves);
          return true;
        }
      }
    } catch (IOException e) {
      log.warn("Reclaiming journal space in {} failed: {}", journalDir, e.toString());
    }
    return false;
  }

  private void runInternal(List<Request> requests) {
    Deque<Request> d = new ArrayDeque<>(requests);
    while (!d.isEmpty() && failed == null) {
      processBatch(d);
    }
  }

  /**
   * Takes a file that holds nothing needed any more out of the journal: renamed to {@code
   * <seq>.free} for reuse while fewer than {@link Options#recycledFiles} wait and it has the
   * configured size, else deleted. Either way it is gone from the journal once the directory is
   * fsynced.
   */
  private void deleteFile(JFile f) throws IOException {
    journals.remove(f.seq);
    Path free = null;
    if (keepsForReuse(f.ch.size())) { // the size, not the capacity: opening may have cut the file
      free = journalDir.resolve(freeName(f.seq));
      Files.move(f.path, free, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.deleteIfExists(f.path);
    }
    fsyncDirectory(journalDir);
    closeChannel(f.ch); // readers still on it look the key up again
    if (free != null) {
      freeFiles.add(free);
      log.debug("Journal file {} kept for reuse as {}", f.path, free.getFileName());
    } else {
      log.debug("Deleted journal file {}", f.path);
    }
  }

  // ---------------------------------------------------------------- files

  /** Whether a reclaimed file of {@code size} bytes joins the files waiting to be reused. */
  private boolean keepsForReuse(long size) {
    return freeFiles.size() < options.recycledFiles() && size == options.journalFileBytes();
  }

  private void startSpare() {
    long seq = nextSeq++;
    CompletableFuture<JFile> s = new CompletableFuture<>();
    spare = s;
    try {
      io.execute(
          () -> {
            try {
              s.complete(prepare(seq));
            } catch (IOException | RuntimeException e) {
              s.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      s.completeExceptionally(e);
    }
  }

  private JFile takeSpare() throws IOException {
    CompletableFuture<JFile> s = spare;
    spare = null;
    if (s == null) {
      return prepare(nextSeq++);
    }
    try {
      return s.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      log.warn("Preparing a journal file failed, trying again: {}", e.getCause().toString());
      return prepare(nextSeq++);
    }
  }

  /**
   * Makes journal file {@code seq} ready for writing: a reclaimed file reused if one waits, else a
   * new one.
   */
  private JFile prepare(long seq) throws IOException {
    Path free;
    while ((free = freeFiles.poll()) != null) {
      try {
        return reuse(free, seq);
      } catch (IOException | RuntimeException e) {
        log.warn("Cannot reuse journal file {}, deleting it: {}", free, e.toString());
        Files.deleteIfExists(free);
      }
    }
    return create(seq);
  }

  /**
   * Reuses a reclaimed file as journal file {@code seq}: its header and an end marker written over
   * its start and made durable, then renamed and its directory fsynced. Until the rename it is
   * still a {@code .free} file that opening ignores; the rest of its bytes stay as they were (see
   * {@link JournalFormat}).
   */
  private JFile reuse(Path free, long seq) throws IOException {
    Path p = journalDir.resolve(fileName(seq));
    FileChannel ch = FileChannel.open(free, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size;
    try {
      size = ch.size();
      if (size != options.journalFileBytes()) {
        throw new IOException("its size " + size + " is not the journal file size");
      }
      ByteBuffer start = ByteBuffer.allocate(JournalFormat.FILE_HEADER + JournalFormat.END_MARKER);
      start.put(JournalFormat.fileHeader(seq)).clear();
      long pos = 0;
      while (start.hasRemaining()) {
        pos += ch.write(start, pos);
      }
      ch.force(false);
      Files.move(free, p, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(journalDir);
    } catch (IOException | RuntimeException e) {
      closeChannel(ch);
      throw e;
    }
    return new JFile(seq, JournalFormat.VERSION, p, ch, size, JournalFormat.FILE_HEADER);
  }

  /**
   * Creates journal file {@code seq}: header, zeros up to the file size, fsynced with its entry.
   */
  private JFile create(long seq) throws IOException {
    Path p = journalDir.resolve(fileName(seq));
    FileChannel ch =
        FileChannel.open(
            p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer header = JournalFormat.fileHeader(seq);
      long pos = 0;
      while (header.hasRemaining()) {
        pos += ch.write(header, pos);
      }
      ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
      long size = options.journalFileBytes();
      while (pos < size) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
        while (zeros.hasRemaining()) {
          pos += ch.write(zeros, pos);
        }
      }
      ch.force(true);
      fsyncDirectory(journalDir);
    } catch (IOException | RuntimeException e) {
      closeChannel(ch);
      Files.deleteIfExists(p);
      throw e;
    }
    return new JFile(
        seq, JournalFormat.VERSION, p, ch, options.journalFileBytes(), JournalFormat.FILE_HEADER);
  }

  static String fileName(long seq) {
    return String.format("%020d.jnl", seq);
  }

  static String freeName(long seq) {
    return String.format("%020d.free", seq);
  }

  private void checkLayout() throws IOException {
    Path layout = root.resolve(LAYOUT_FILE);
    if (Files.exists(layout)) {
      String text = Files.readString(layout, StandardCharsets.UTF_8).trim();
      Matcher m = LAYOUT_LINE.matcher(text);
      if (!m.matches()) {
        throw new ObjectStoreException("unreadable layout marker " + layout + ": " + text);
      }
      int v = Integer.parseInt(m.group(1));
      if (v > LAYOUT_VERSION) {
        throw new ObjectStoreException(
            "the object store at "
                + root
                + " has layout version "
                + v
                + ", newer than this Millrace reads ("
                + LAYOUT_VERSION
                + ")");
      }
    }
    if (!Files.isDirectory(journalDir)) {
      Files.createDirectory(journalDir);
      fsyncDirectory(root);
    }
    if (!Files.exists(layout)) {
      // A layout-1 directory (no marker) or a new one: its files stay readable as they are.
      Path tmp = root.resolve(LAYOUT_FILE + ".new");
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(LAYOUT_TEXT.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, layout, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(root);
    }
  }

  /** Rebuilds the index from the journal files and cuts the torn tail of the last one. */
  private void recover() throws IOException {
    TreeMap<Long, Path> found = new TreeMap<>();
    TreeMap<Long, Path> free = new TreeMap<>();
    try (var s = Files.list(journalDir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String name = p.getFileName().toString();
        Matcher m = JOURNAL_NAME.matcher(name);
        Matcher f = FREE_NAME.matcher(name);
        if (m.matches()) {
          found.put(Long.parseLong(m.group(1)), p);
        } else if (f.matches()) {
          free.put(Long.parseLong(f.group(1)), p);
        }
      }
    }
    nextSeq = found.isEmpty() ? 1 : found.lastKey() + 1;
    boolean removedFree = false;
    for (Path p : free.values()) {
      // Reclaimed files: their bytes are no longer part of the journal.
      if (keepsForReuse(Files.size(p))) {
        freeFiles.add(p);
      } else {
        Files.deleteIfExists(p);
        removedFree = true;
      }
    }
    if (removedFree) {
      fsyncDirectory(journalDir);
    }
    record Scan(long seq, Path path, FileChannel ch, boolean header, long end, boolean torn) {}
    List<Scan> scans = new ArrayList<>();
    int objects = 0;
    byte[] scratch = new byte[0];
    for (Map.Entry<Long, Path> e : found.entrySet()) {
      long seq = e.getKey();
      FileChannel ch =
          FileChannel.open(e.getValue(), StandardOpenOption.READ, StandardOpenOption.WRITE);
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        closeChannel(ch);
        throw new ObjectStoreException("journal file " + e.getValue() + " is larger than 2 GiB");
      }
      // Read into the heap rather than mapping: a mapping would keep the disk space of the file
      // after compaction deletes it, until the garbage collector unmaps it.
      if (scratch.length < size) {
        scratch = new byte[(int) size];
      }
      ByteBuffer map = ByteBuffer.wrap(scratch, 0, (int) size).slice();
      while (map.hasRemaining()) {
        if (ch.read(map, map.position()) < 0) {
          break;
        }
      }
      map.flip();
      long h = JournalFormat.readFileHeader(map);
      if (h == -2) {
        closeChannel(ch);
        throw new ObjectStoreException(
            "journal file " + e.getValue() + " has a journal format this Millrace cannot read");
      }
      if (h != seq) {
        scans.add(new Scan(seq, e.getValue(), ch, false, 0, true));
        continue;
      }
      JFile f =
          new JFile(
              seq,
              JournalFormat.fileVersion(map),
              e.getValue(),
              ch,
              size,
              JournalFormat.FILE_HEADER);
      journals.put(seq, f);
      int pos = JournalFormat.FILE_HEADER;
      JournalFormat.Header rec;
      while ((rec = JournalFormat.recordAt(map, f.seed, pos)) != null) {
        String key = JournalFormat.key(map, pos, rec.keyLength());
        if (rec.type() == JournalFormat.PUT) {
          Loc loc = new Loc(seq, pos, rec.keyLength(), rec.bodyLength() - rec.keyLength());
          Loc prev = index.put(key, loc);
          if (prev != null) {
            removeLive(key, prev); // a copy made by compaction replaces its original
          }
          addLive(key, loc);
          objects++;
        } else {
          int t = pos + JournalFormat.RECORD_HEADER + rec.keyLength();
          long tFile = map.getLong(t);
          long tOffset = map.getLong(t + 8);
          f.tombs.add(new Tomb(key, tFile, tOffset));
          Loc cur = index.get(key);
          if (cur != null && cur.file() == tFile && cur.offset() == tOffset) {
            index.remove(key);
            removeLive(key, cur);
          }
        }
        pos += rec.length();
      }
      f.end = pos;
      boolean torn = JournalFormat.endAt(map, pos) == JournalFormat.End.TORN;
      scans.add(new Scan(seq, e.getValue(), ch, true, pos, torn));
    }
    // The last file written to: the last one with records or a torn first record.
    int last = -1;
    for (int i = 0; i < scans.size(); i++) {
      Scan s = scans.get(i);
      if (s.header() && (s.end() > JournalFormat.FILE_HEADER || s.torn())) {
        last = i;
      }
    }
    boolean removed = false;
    for (int i = 0; i < scans.size(); i++) {
      Scan s = scans.get(i);
      if (i > last) {
        // Spare files prepared ahead (possibly half-written): nothing in them was ever written.
        journals.remove(s.seq());
        closeChannel(s.ch());
        Files.deleteIfExists(s.path());
        removed = true;
      } else if (i < last && (!s.header() || s.torn())) {
        throw new ObjectStoreException(
            "journal file "
                + s.path()
                + " is damaged at offset "
                + s.end()
                + " but later journal files hold objects; refusing to open");
      }
    }
    if (removed) {
      fsyncDirectory(journalDir);
    }
    if (last >= 0) {
      Scan s = scans.get(last);
      if (s.ch().size() != s.end()) {
        // Cut the unused and torn tail; what was read is made durable before anything is served.
        s.ch().truncate(s.end());
        if (s.torn()) {
          log.warn(
              "Journal file {} ended in a torn record at offset {}; cut there (it was never"
                  + " acknowledged).",
              s.path(),
              s.end());
        }
      }
      s.ch().force(true);
    }
    log.info(
        "Local object store at {} (layout {}): {} journal files, {} put records replayed, {}"
            + " objects in the journal.",
        root,
        LAYOUT_VERSION,
        journals.size(),
        objects,
        index.size());
  }

  // ---------------------------------------------------------------- helpers

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void closeChannel(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      log.debug("Closing a journal file failed: {}", e.toString());
    }
  }

  private ObjectStoreException closedException(Throwable cause) {
    return new ObjectStoreException("local object store at " + root + " is closed", cause);
  }

  private ObjectStoreException failedException(IOException cause) {
    return new ObjectStoreException(
        "the journal of the local object store at "
            + root
            + " failed earlier ("
            + cause
            + "); restart to recover",
        cause);
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static <T> void complete(CompletableFuture<T> f, T value, Throwable e) {
    if (e == null) {
      f.complete(value);
    } else {
      f.completeExceptionally(unwrap(e));
    }
  }
}
