package io.millrace.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Limits that keep the edge answerable under load and abuse ({@code millrace.http.admission.*} in
 * this module's {@code reference.conf}; issue 14): the bytes of request bodies buffered across all
 * connections, how many connections are open (in total and per client IP), and how long a
 * connection may take to send a request head or sit with no request in flight.
 *
 * @param bodyBudgetBytes request-body bytes all connections may hold at once; a request that would
 *     exceed it is answered 503 {@code unavailable} with {@code retry-after-ms}
 * @param retryAfter the {@code retry-after-ms} sent with that 503
 * @param maxConnections open connections accepted on the S2 port at once (Pekko's {@code
 *     max-connections}); further ones wait in the accept backlog
 * @param maxConnectionsPerIp open connections one client IP may hold; beyond it new connections
 *     from that IP are closed at once
 * @param headerTimeout longest time from the start of a connection (or of a request head) until its
 *     request head is complete; slower connections are closed
 * @param idleTimeoutWithoutRequest an HTTP/1.1 connection with no request in flight and no traffic
 *     for this long is closed (connections with a request in flight keep {@code idle-timeout});
 *     raised to {@code sessions.heartbeat-max} + 10 s if set lower, so that a read session idle at
 *     the tail (its response started, only heartbeats flowing) is never taken for idle
 */
public record AdmissionSettings(
    long bodyBudgetBytes,
    Duration retryAfter,
    int maxConnections,
    int maxConnectionsPerIp,
    Duration headerTimeout,
    Duration idleTimeoutWithoutRequest) {

  /**
   * Reads {@code millrace.http.admission.*}; {@code body-budget = auto} is an eighth of the JVM's
   * maximum heap, but at least twice {@code max-request-body-bytes} (one body, received and
   * decoded).
   */
  public static AdmissionSettings fromConfig(Config root) {
    Config http = HttpSettings.section(root, "millrace.http");
    Config c = http.getConfig("admission");
    long budget;
    if (c.getString("body-budget").trim().equalsIgnoreCase("auto")) {
      budget =
          Math.max(
              2 * http.getBytes("max-request-body-bytes"), Runtime.getRuntime().maxMemory() / 8);
    } else {
      budget = c.getBytes("body-budget");
    }
    // A streaming response (SSE or S2S read session) counts as answered once its head is sent and
    // then only sends heartbeats: the idle timeout must leave room for the longest heartbeat gap.
    Duration idle = c.getDuration("idle-timeout-without-request");
    Duration heartbeatRoom = http.getDuration("sessions.heartbeat-max").plusSeconds(10);
    if (idle.compareTo(heartbeatRoom) < 0) {
      idle = heartbeatRoom;
    }
    return new AdmissionSettings(
        budget,
        c.getDuration("retry-after"),
        c.getInt("max-connections"),
        c.getInt("max-connections-per-ip"),
        c.getDuration("header-timeout"),
        idle);
  }
}
