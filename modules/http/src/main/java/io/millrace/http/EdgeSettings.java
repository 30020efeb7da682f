package io.millrace.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * Tuning of the S2 HTTP edge, read once from {@code millrace.http} (documented in this module's
 * {@code reference.conf}).
 *
 * @param maxRequestBodyBytes largest request body, before and after Content-Encoding decoding
 * @param maxDrainBytes bytes read and discarded past the limit so the client sees the 413
 * @param compressionMinBytes responses larger than this are compressed when the client allows it
 * @param cors whether CORS headers are sent
 * @param enableHttp2 whether HTTP/2 (h2c prior knowledge, h2 over TLS) is served on the port
 * @param requestTimeout time to produce a response once the request is received
 * @param idleTimeout idle connection timeout
 * @param maxUriLength longest request target (path and query) accepted
 * @param corsCredentialOrigins origins that are mirrored with {@code
 *     Access-Control-Allow-Credentials: true}; empty (the default): every origin gets {@code *}
 *     without credentials
 */
public record EdgeSettings(
    long maxRequestBodyBytes,
    long maxDrainBytes,
    int compressionMinBytes,
    boolean cors,
    boolean enableHttp2,
    Duration requestTimeout,
    Duration idleTimeout,
    int maxUriLength,
    List<String> corsCredentialOrigins) {

  public EdgeSettings {
    corsCredentialOrigins = List.copyOf(corsCredentialOrigins);
  }

  /** The defaults of {@code reference.conf}. */
  public static final EdgeSettings DEFAULT =
      new EdgeSettings(
          16L * 1024 * 1024,
          64L * 1024 * 1024,
          1024,
          true,
          true,
          Duration.ofSeconds(90),
          Duration.ofSeconds(120),
          8 * 1024,
          List.of());

  /**
   * Reads {@code millrace.http.*} from the root config, falling back to this module's {@code
   * reference.conf} for keys the root lacks.
   */
  public static EdgeSettings fromConfig(Config root) {
    Config c = HttpSettings.section(root, "millrace.http");
    return new EdgeSettings(
        c.getBytes("max-request-body-bytes"),
        c.getBytes("max-drain-bytes"),
        c.getBytes("compression-min-bytes").intValue(),
        c.getBoolean("cors"),
        c.getBoolean("enable-http2"),
        c.getDuration("request-timeout"),
        c.getDuration("idle-timeout"),
        c.getBytes("max-uri-length").intValue(),
        c.getStringList("cors-credential-origins"));
  }
}
