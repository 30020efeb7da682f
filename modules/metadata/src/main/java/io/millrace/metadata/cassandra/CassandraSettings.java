package io.millrace.metadata.cassandra;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link CassandraMetadataStore} reaches Cassandra (docs/metadata.md, "Cassandra").
 *
 * @param contactPoints nodes to contact first (host and CQL port)
 * @param localDatacenter the datacenter whose nodes are queried (single-node default {@code
 *     datacenter1})
 * @param keyspace keyspace holding the tables, created if missing
 * @param replication CQL replication map used when creating the keyspace, for example {@code
 *     {'class': 'NetworkTopologyStrategy', 'dc1': 3}}
 * @param requestTimeout time limit of one request (schema changes get a longer limit)
 * @param connectTimeout time limit of connecting at open
 * @param consistency consistency level of reads and plain writes ({@code LOCAL_QUORUM})
 * @param serialConsistency consistency level of the Paxos phase of lightweight transactions ({@code
 *     SERIAL}, or {@code LOCAL_SERIAL} for one datacenter)
 * @param username plain-text authentication user, or null for none
 * @param password its password, or null
 */
public record CassandraSettings(
    List<InetSocketAddress> contactPoints,
    String localDatacenter,
    String keyspace,
    String replication,
    Duration requestTimeout,
    Duration connectTimeout,
    String consistency,
    String serialConsistency,
    String username,
    String password) {

  public static final String DEFAULT_KEYSPACE = "millrace";
  public static final String DEFAULT_DATACENTER = "datacenter1";
  public static final String DEFAULT_REPLICATION =
      "{'class': 'SimpleStrategy', 'replication_factor': 1}";

  public CassandraSettings {
    contactPoints = List.copyOf(Objects.requireNonNull(contactPoints, "contactPoints"));
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("at least one contact point is needed");
    }
    Objects.requireNonNull(localDatacenter, "localDatacenter");
    Objects.requireNonNull(keyspace, "keyspace");
    if (!keyspace.matches("[a-z][a-z0-9_]{0,47}")) {
      throw new IllegalArgumentException(
          "keyspace must be lower-case letters, digits and '_', starting with a letter: "
              + keyspace);
    }
    Objects.requireNonNull(replication, "replication");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(serialConsistency, "serialConsistency");
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("give both username and password, or neither");
    }
  }

  /**
   * Reads {@code millrace.metadata.cassandra} of {@code root} (keys documented in the module's
   * reference.conf). Empty username and password mean no authentication.
   */
  public static CassandraSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.metadata.cassandra");
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String cp : c.getStringList("contact-points")) {
      addresses.add(parseAddress(cp));
    }
    String user = c.getString("username");
    String password = c.getString("password");
    return new CassandraSettings(
        addresses,
        c.getString("local-datacenter"),
        c.getString("keyspace"),
        c.getString("replication"),
        c.getDuration("request-timeout"),
        c.getDuration("connect-timeout"),
        c.getString("consistency"),
        c.getString("serial-consistency"),
        user.isEmpty() ? null : user,
        password.isEmpty() ? null : password);
  }

  /**
   * Defaults for the given contact points ({@code host:port}, port 9042 if absent): datacenter
   * {@value #DEFAULT_DATACENTER}, keyspace {@value #DEFAULT_KEYSPACE}, SimpleStrategy with one
   * replica, 10 s per request, 10 s to connect, LOCAL_QUORUM and SERIAL, no authentication.
   */
  public static CassandraSettings of(List<String> contactPoints) {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String cp : contactPoints) {
      addresses.add(parseAddress(cp));
    }
    return new CassandraSettings(
        addresses,
        DEFAULT_DATACENTER,
        DEFAULT_KEYSPACE,
        DEFAULT_REPLICATION,
        Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        "LOCAL_QUORUM",
        "SERIAL",
        null,
        null);
  }

  /** Defaults for one node on 127.0.0.1 at {@code port}. */
  public static CassandraSettings local(int port) {
    return of(List.of("127.0.0.1:" + port));
  }

  /** {@code host:port} ({@code [v6]:port} for IPv6), or {@code host} for port 9042. */
  public static InetSocketAddress parseAddress(String hostPort) {
    String s = hostPort.trim();
    int colon = s.lastIndexOf(':');
    if (colon > 0 && s.indexOf(']') < colon && (s.startsWith("[") || s.indexOf(':') == colon)) {
      String host = s.substring(0, colon).replace("[", "").replace("]", "");
      return InetSocketAddress.createUnresolved(host, Integer.parseInt(s.substring(colon + 1)));
    }
    return InetSocketAddress.createUnresolved(s.replace("[", "").replace("]", ""), 9042);
  }

  public CassandraSettings withKeyspace(String keyspace) {
    return with(c -> c.keyspace = keyspace);
  }

  public CassandraSettings withLocalDatacenter(String localDatacenter) {
    return with(c -> c.localDatacenter = localDatacenter);
  }

  public CassandraSettings withReplication(String replication) {
    return with(c -> c.replication = replication);
  }

  public CassandraSettings withTimeouts(Duration requestTimeout, Duration connectTimeout) {
    return with(
        c -> {
          c.requestTimeout = requestTimeout;
          c.connectTimeout = connectTimeout;
        });
  }

  public CassandraSettings withConsistency(String consistency, String serialConsistency) {
    return with(
        c -> {
          c.consistency = consistency;
          c.serialConsistency = serialConsistency;
        });
  }

  public CassandraSettings withCredentials(String username, String password) {
    return with(
        c -> {
          c.username = username;
          c.password = password;
        });
  }

  /** A copy with {@code change} applied to its fields (validated like any new settings). */
  private CassandraSettings with(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new CassandraSettings(
        c.contactPoints,
        c.localDatacenter,
        c.keyspace,
        c.replication,
        c.requestTimeout,
        c.connectTimeout,
        c.consistency,
        c.serialConsistency,
        c.username,
        c.password);
  }

  /** The fields of settings being copied, for the {@code with*} methods. */
  private static final class Copy {
    List<InetSocketAddress> contactPoints;
    String localDatacenter;
    String keyspace;
    String replication;
    Duration requestTimeout;
    Duration connectTimeout;
    String consistency;
    String serialConsistency;
    String username;
    String password;

    Copy(CassandraSettings s) {
      contactPoints = s.contactPoints;
      localDatacenter = s.localDatacenter;
      keyspace = s.keyspace;
      replication = s.replication;
      requestTimeout = s.requestTimeout;
      connectTimeout = s.connectTimeout;
      consistency = s.consistency;
      serialConsistency = s.serialConsistency;
      username = s.username;
      password = s.password;
    }
  }

  /** The contact points as {@code host:port, host:port}, for messages. */
  public String contactPointsText() {
    StringBuilder b = new StringBuilder();
    for (InetSocketAddress a : contactPoints) {
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append(a.getHostString()).append(':').append(a.getPort());
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return "CassandraSettings[contactPoints="
        + contactPointsText()
        + ", localDatacenter="
        + localDatacenter
        + ", keyspace="
        + keyspace
        + ", replication="
        + replication
        + ", requestTimeout="
        + requestTimeout
        + ", connectTimeout="
        + connectTimeout
        + ", consistency="
        + consistency
        + "/"
        + serialConsistency
        + ", auth="
        + (username == null ? "none" : username)
        + "]";
  }
}
