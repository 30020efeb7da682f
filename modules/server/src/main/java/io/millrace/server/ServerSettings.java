package io.millrace.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

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
 * @param objectStore which object store to use
 * @param metadata which metadata store to use
 * @param nodeName a name for this node in logs ({@code ""}: the cluster address)
 * @param healthCheckInterval how often readiness re-checks that the stores answer
 */
public record ServerSettings(
    String host,
    int port,
    Path dataDir,
    Duration deletionInterval,
    Duration startTimeout,
    Path tlsCert,
    Path tlsKey,
    ObjectStoreKind objectStore,
    MetadataKind metadata,
    String nodeName,
    Duration healthCheckInterval) {

  /** The object store implementations a node can use. */
  public enum ObjectStoreKind {
    /** A local directory under the data dir (embedded mode). */
    LOCAL,
    /** An S3 API bucket ({@code millrace.objectstore.s3.*}; cluster mode). */
    S3
  }

  /** The metadata store implementations a node can use. */
  public enum MetadataKind {
    /** A SQLite file under the data dir (embedded mode). */
    SQLITE,
    /** Cassandra ({@code millrace.metadata.cassandra.*}; cluster mode). */
    CASSANDRA
  }

  /** Cleartext embedded settings. */
  public ServerSettings(
      String host, int port, Path dataDir, Duration deletionInterval, Duration startTimeout) {
    this(
        host,
        port,
        dataDir,
        deletionInterval,
        startTimeout,
        null,
        null,
        ObjectStoreKind.LOCAL,
        MetadataKind.SQLITE,
        "",
        Duration.ofSeconds(5));
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
        optionalPath(c, "tls-key"),
        parse(ObjectStoreKind.class, "object-store", c.getString("object-store")),
        parse(MetadataKind.class, "metadata", c.getString("metadata")),
        c.getString("node-name"),
        c.getDuration("health-check-interval"));
  }

  private static Path optionalPath(Config c, String key) {
    return c.hasPath(key) && !c.getString(key).isBlank() ? Path.of(c.getString(key)) : null;
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String key, String value) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder allowed = new StringBuilder();
      for (E v : type.getEnumConstants()) {
        allowed.append(allowed.length() == 0 ? "" : ", ").append(v.name().toLowerCase(Locale.ROOT));
      }
      throw new StartupException(
          "millrace.server." + key + " is \"" + value + "\"; expected one of " + allowed + ".", e);
    }
  }

  /** Whether the HTTP edge serves TLS. */
  public boolean tls() {
    return tlsCert != null && tlsKey != null;
  }

  /** True when a store lives under the data dir, so the node needs (and locks) it. */
  public boolean usesDataDir() {
    return objectStore == ObjectStoreKind.LOCAL || metadata == MetadataKind.SQLITE;
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
