package io.millrace.http;

import com.typesafe.config.Config;
import io.millrace.core.session.ReadSession;
import java.time.Duration;

/**
 * Tuning of streaming sessions, read from {@code millrace.http.sessions} (documented in this
 * module's {@code reference.conf}).
 *
 * @param heartbeatMin shortest idle gap before a read session sends a heartbeat (whole seconds)
 * @param heartbeatMax longest idle gap before a read session sends a heartbeat (whole seconds)
 * @param appendMaxInflight most batches of one append session submitted and not yet acked
 */
public record SessionSettings(Duration heartbeatMin, Duration heartbeatMax, int appendMaxInflight) {

  /** The defaults of {@code reference.conf}. */
  public static final SessionSettings DEFAULT =
      new SessionSettings(Duration.ofSeconds(5), Duration.ofSeconds(15), 256);

  /** Reads {@code millrace.http.sessions.*}, falling back to this module's reference.conf. */
  public static SessionSettings fromConfig(Config root) {
    Config c = HttpSettings.section(root, "millrace.http.sessions");
    return new SessionSettings(
        c.getDuration("heartbeat-min"),
        c.getDuration("heartbeat-max"),
        c.getInt("append-max-inflight"));
  }

  ReadSession.Timing timing() {
    return new ReadSession.Timing(
        (int) Math.max(1, heartbeatMin.toSeconds()),
        (int) Math.max(1, Math.max(heartbeatMin.toSeconds(), heartbeatMax.toSeconds())));
  }
}
