package io.millrace.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on {@code <data-dir>/LOCK}, held while a node uses the data directory, so that
 * two nodes can never write the same SQLite file and object directory. The operating system
 * releases it if the process dies.
 */
final class DataDirLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or fails with a {@link StartupException} saying the directory is in use. */
  static DataDirLock acquire(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve("LOCK");
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new StartupException("Cannot open the lock file " + file + " (" + e + ").", e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StartupException("Cannot lock " + file + " (" + e + ").", e);
    }
    if (lock == null) {
      closeQuietly(channel);
      throw new StartupException(
          "The data directory "
              + dataDir.toAbsolutePath()
              + " is in use by another Millrace node (it holds "
              + file
              + "); stop it or choose another --data-dir.");
    }
    return new DataDirLock(channel, lock);
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // the channel close below releases it as well
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }
}
