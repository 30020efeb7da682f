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
 * @param tlsCert PEM certificate chain for TLS, or null for cleartext (HTTP/1.1 and h2c)
 * @param tlsKey PEM PKCS#8 private key of {@code tlsCert}, or null
 */
public record ServerSettings(
    String host,
    int port,
    Path dataDir,
    Duration deletionInterval,
    Duration startTimeout,
    Path tlsCert,
    Path tlsKey) {

  /** Cleartext settings. */
  public ServerSettings(
      String host, int port, Path dataDir, Duration deletionInterval, Duration startTimeout) {
    this(host, port, dataDir, deletionInterval, startTimeout, null, null);
  }

  public static ServerSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.server");
    return new ServerSettings(
        c.getString("host"),
        c.getInt("port"),
        Path.of(c.getString("data-dir")),
        c.getDuration("deletion-interval"),
        c.getDuration("start-timeout"),
        optionalPath(c, "tls-cert"),
        optionalPath(c, "tls-key"));
  }

  private static Path optionalPath(Config c, String key) {
    return c.hasPath(key) && !c.getString(key).isBlank() ? Path.of(c.getString(key)) : null;
  }

  /** Whether the HTTP edge serves TLS. */
  public boolean tls() {
    return tlsCert != null && tlsKey != null;
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
