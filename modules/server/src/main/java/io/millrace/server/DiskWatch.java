package io.millrace.server;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The free space of the disk under the data directory, when a store lives there (embedded mode).
 * Below {@code millrace.server.min-free-disk} the node reports itself not ready, degraded ({@code
 * GET /health} 503 naming the disk, {@code /health/ready} and {@code millrace_node_ready} alike):
 * with a full disk no append can become durable, so the node must not look healthy.
 */
final class DiskWatch {
  private final Path dir;
  private final long minFreeBytes;

  DiskWatch(Path dir, long minFreeBytes) {
    this.dir = dir;
    this.minFreeBytes = minFreeBytes;
  }

  /** The watch for {@code settings}, or empty when no store uses the data directory. */
  static Optional<DiskWatch> of(ServerSettings settings, Config root) {
    if (!settings.usesDataDir()) {
      return Optional.empty();
    }
    return Optional.of(
        new DiskWatch(settings.dataDir(), root.getBytes("millrace.server.min-free-disk")));
  }

  /** Usable bytes on the data directory's disk, or -1 when it cannot be read. */
  long usableBytes() {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Why the node is degraded by its disk, or empty while enough is free. */
  Optional<String> problem() {
    long free = usableBytes();
    if (free < 0) {
      return Optional.of("degraded: the data directory's disk cannot be read");
    }
    if (free < minFreeBytes) {
      return Optional.of(
          "degraded: the data directory's disk has "
              + free
              + " bytes free, less than millrace.server.min-free-disk ("
              + minFreeBytes
              + "); appends cannot be made durable");
    }
    return Optional.empty();
  }
}
