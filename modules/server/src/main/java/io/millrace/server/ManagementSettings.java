package io.millrace.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The management port and cluster bootstrap settings ({@code millrace.server.management.*} and
 * {@code millrace.server.bootstrap.*}, docs/configuration.md), and the Pekko Management and Pekko
 * Discovery keys they turn into.
 *
 * @param port the management port, 0 for a free one, or null when the management port is off
 * @param host the host the management port binds to and advertises (contact points name it)
 * @param contactPoints bootstrap contact points ({@code host:management-port}); empty when the node
 *     does not use cluster bootstrap
 * @param requiredContactPoints how many contact points must answer before a new cluster is formed
 */
public record ManagementSettings(
    Integer port, String host, List<ContactPoint> contactPoints, int requiredContactPoints) {

  /** The Pekko Discovery service name the contact points are listed under. */
  public static final String SERVICE_NAME = "millrace";

  /** A bootstrap contact point: another node's management host and port. */
  public record ContactPoint(String host, int port) {
    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public ManagementSettings {
    contactPoints = List.copyOf(contactPoints);
  }

  /** True when the management port is bound. */
  public boolean enabled() {
    return port != null;
  }

  /** True when the node joins by cluster bootstrap instead of seed nodes or by itself. */
  public boolean bootstrap() {
    return !contactPoints.isEmpty();
  }

  /**
   * A warning for a bootstrapping node that is not itself among the contact points as it advertises
   * itself ({@code host} and the bound management port): such a node can join a cluster the listed
   * nodes form but can never form one; empty otherwise.
   */
  public Optional<String> selfNotListedWarning(int boundPort) {
    if (!bootstrap()) {
      return Optional.empty();
    }
    ContactPoint self = new ContactPoint(host, boundPort);
    if (contactPoints.contains(self)) {
      return Optional.empty();
    }
    return Optional.of(
        "This node's management endpoint "
            + self
            + " is not among the bootstrap contact points "
            + contactPoints
            + ": it can join a cluster those nodes form, but never form one itself. If it should"
            + " be a contact point, list it exactly as it advertises itself (--management-host,"
            + " by default --cluster-host; same spelling, e.g. 127.0.0.1 and not localhost).");
  }

  /**
   * Reads the settings. The management host defaults to the cluster host ({@code
   * pekko.remote.artery.canonical.hostname}); the required contact points default (0) to all of
   * them.
   *
   * @throws StartupException naming the key when a value cannot be parsed
   */
  public static ManagementSettings fromConfig(Config root) {
    Config m = root.getConfig("millrace.server.management");
    Integer port = parsePort(m.getString("port"));
    String host = m.getString("host").trim();
    if (host.isEmpty()) {
      host = root.getString("pekko.remote.artery.canonical.hostname");
    }
    Config b = root.getConfig("millrace.server.bootstrap");
    List<ContactPoint> points = new ArrayList<>();
    for (String raw : stringList(b, "contact-points")) {
      String t = raw.trim();
      if (!t.isEmpty()) {
        points.add(parseContactPoint(t));
      }
    }
    int required;
    try {
      required = b.getInt("required-contact-points");
    } catch (com.typesafe.config.ConfigException e) {
      throw new StartupException(
          "millrace.server.bootstrap.required-contact-points must be a whole number: "
              + e.getMessage());
    }
    if (required < 0) {
      throw new StartupException(
          "millrace.server.bootstrap.required-contact-points is " + required + "; expected >= 0.");
    }
    return new ManagementSettings(port, host, points, required == 0 ? points.size() : required);
  }

  /**
   * Why the configuration cannot be used as given (seed nodes together with bootstrap contact
   * points, bootstrap without a management port, more required contact points than listed), in
   * words that name the flags; empty when it can.
   */
  public static Optional<String> usageError(Config root) {
    ManagementSettings s = fromConfig(root);
    if (!s.bootstrap()) {
      return Optional.empty();
    }
    if (!root.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      return Optional.of(
          "--seed-nodes (pekko.cluster.seed-nodes) and --bootstrap-contact-points"
              + " (millrace.server.bootstrap.contact-points) exclude each other: a node joins"
              + " either through seed nodes or by cluster bootstrap.");
    }
    if (!s.enabled()) {
      return Optional.of(
          "--bootstrap-contact-points needs --management-port (millrace.server.management.port):"
              + " cluster bootstrap probes the contact points on their management ports.");
    }
    if (s.requiredContactPoints() > s.contactPoints().size()) {
      return Optional.of(
          "--bootstrap-required-contact-points is "
              + s.requiredContactPoints()
              + " but only "
              + s.contactPoints().size()
              + " contact point(s) are listed.");
    }
    return Optional.empty();
  }

  /**
   * The Pekko keys these settings set, to be layered over the node's configuration: the management
   * host and port and, with bootstrap, config discovery of the contact points.
   */
  public Config pekkoConfig() {
    Map<String, Object> c = new HashMap<>();
    if (enabled()) {
      c.put("pekko.management.http.hostname", host);
      c.put("pekko.management.http.port", port);
    }
    if (bootstrap()) {
      String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      c.put(d + "service-name", SERVICE_NAME);
      c.put(d + "discovery-method", "config");
      c.put(d + "required-contact-point-nr", requiredContactPoints);
      // All contact points may share one host (several nodes on one machine): do not keep only
      // those on this node's own management port.
      c.put("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false);
      List<Map<String, Object>> endpoints = new ArrayList<>();
      for (ContactPoint p : contactPoints) {
        endpoints.add(Map.of("host", p.host(), "port", p.port()));
      }
      c.put("pekko.discovery.config.services." + SERVICE_NAME + ".endpoints", endpoints);
    }
    return ConfigFactory.parseMap(c);
  }

  private static Integer parsePort(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.isEmpty() || v.equals("off") || v.equals("false") || v.equals("none")) {
      return null;
    }
    try {
      int p = Integer.parseInt(v);
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new StartupException(
        "millrace.server.management.port is \""
            + value
            + "\"; expected off or a port number (0 = a free port).");
  }

  private static List<String> stringList(Config c, String key) {
    if (c.getValue(key).valueType() == ConfigValueType.LIST) {
      return c.getStringList(key);
    }
    return List.of(c.getString(key).split(","));
  }

  /** Parses {@code host:port} (an IPv6 host in brackets). */
  static ContactPoint parseContactPoint(String text) {
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new StartupException(
          "The bootstrap contact point \""
              + text
              + "\" is not host:port (the management host and port of a node).");
    }
    return new ContactPoint(host, port);
  }
}
