package io.millrace.grpc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.millrace.core.session.ReadSession;
import java.time.Duration;
import java.util.Locale;

/**
 * The gRPC edge's settings ({@code millrace.grpc.*}, documented in this module's {@code
 * reference.conf} and docs/configuration.md), read once at start.
 *
 * @param host interface to bind
 * @param port TCP port; 0 picks a free one
 * @param maxMessageBytes largest gRPC message a client may send
 * @param heartbeatMin shortest idle gap before a read session sends a heartbeat
 * @param heartbeatMax longest idle gap before a read session sends a heartbeat
 * @param appendMaxInflight most batches of one append session submitted and not yet acknowledged
 * @param pingInterval HTTP/2 PING interval of idle connections
 * @param idleTimeout a connection without any traffic for this long is closed
 */
public record GrpcSettings(
    String host,
    int port,
    int maxMessageBytes,
    Duration heartbeatMin,
    Duration heartbeatMax,
    int appendMaxInflight,
    Duration pingInterval,
    Duration idleTimeout) {

  /** The defaults of reference.conf on {@code host:port}. */
  public static GrpcSettings defaults(String host, int port) {
    return new GrpcSettings(
        host,
        port,
        2 * 1024 * 1024,
        Duration.ofSeconds(5),
        Duration.ofSeconds(15),
        256,
        Duration.ofSeconds(30),
        Duration.ofSeconds(120));
  }

  /**
   * Reads {@code millrace.grpc.*} (falling back to this module's reference.conf); empty when the
   * port is {@code off}. An empty host means {@code defaultHost}.
   */
  public static java.util.Optional<GrpcSettings> fromConfig(Config root, String defaultHost) {
    Config c =
        root.withFallback(ConfigFactory.defaultReference(GrpcSettings.class.getClassLoader()))
            .getConfig("millrace.grpc");
    String port = c.getString("port").trim().toLowerCase(Locale.ROOT);
    if (port.equals("off") || port.isEmpty()) {
      return java.util.Optional.empty();
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "millrace.grpc.port is \"" + port + "\"; expected \"off\" or a port number", e);
    }
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException("millrace.grpc.port " + p + " is out of range");
    }
    String host = c.getString("host").isBlank() ? defaultHost : c.getString("host");
    long max = c.getBytes("max-message-bytes");
    if (max < 1024 || max > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "millrace.grpc.max-message-bytes must be between 1 KiB and 2 GiB, got " + max);
    }
    return java.util.Optional.of(
        new GrpcSettings(
            host,
            p,
            (int) max,
            c.getDuration("heartbeat-min"),
            c.getDuration("heartbeat-max"),
            c.getInt("append-max-inflight"),
            c.getDuration("ping-interval"),
            c.getDuration("idle-timeout")));
  }

  ReadSession.Timing timing() {
    int min = (int) Math.max(1, heartbeatMin.toSeconds());
    return new ReadSession.Timing(min, (int) Math.max(min, heartbeatMax.toSeconds()));
  }
}
