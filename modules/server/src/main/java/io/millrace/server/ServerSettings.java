package io.millrace.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The server's own settings ({@code millrace.server.*}, documented in application.conf and
 * docs/configuration.md), read once at start.
 *
 * @param host interface the HTTP edge binds to
 * @param port HTTP port; 0 picks a free one
 * @param dataDir holds {@code metadata.db} (SQLite) and {@code objects/} (local object store)
 * @param deletionInterval how often background deletion sweeps for deleted streams and basins
 * @param startTimeout longest wait for the cluster to come up and the data plane to be ready
 */
public record ServerSettings(
    String host, int port, Path dataDir, Duration deletionInterval, Duration startTimeout) {

  public static ServerSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.server");
    return new ServerSettings(
        c.getString("host"),
        c.getInt("port"),
        Path.of(c.getString("data-dir")),
        c.getDuration("deletion-interval"),
        c.getDuration("start-timeout"));
  }

  /** The metadata database file. */
  public Path metadataFile() {
    return dataDir.resolve("metadata.db");
  }

  /** The root of the local object store. */
  public Path objectsDir() {
    return dataDir.resolve("objects");
  }
}
