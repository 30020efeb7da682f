package io.millrace.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;

/**
 * Where the S2 HTTP edge listens, and whether with TLS.
 *
 * <p>Without TLS the port serves HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c). With
 * {@code tlsCert} and {@code tlsKey} it serves TLS only, offering ALPN {@code h2} and {@code
 * http/1.1} (spec sections 2.5 and 12).
 *
 * @param host interface to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
 * @param port TCP port; 0 picks a free one (read it from the returned binding)
 * @param tlsCert PEM file with the server certificate, then any intermediate certificates; null for
 *     cleartext
 * @param tlsKey PEM file with the certificate's private key in PKCS#8 form ({@code BEGIN PRIVATE
 *     KEY}; RSA or EC); null for cleartext
 */
public record HttpSettings(String host, int port, Path tlsCert, Path tlsKey) {

  public HttpSettings {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate and a key file");
    }
  }

  /** A cleartext listener (HTTP/1.1 and h2c on one port). */
  public HttpSettings(String host, int port) {
    this(host, port, null, null);
  }

  /** Whether the listener serves TLS. */
  public boolean tls() {
    return tlsCert != null;
  }

  /**
   * Reads {@code millrace.http.host}, {@code millrace.http.port} and the optional {@code
   * millrace.http.tls-cert} / {@code millrace.http.tls-key} (paths; empty or absent means no TLS),
   * falling back to this module's {@code reference.conf}.
   */
  public static HttpSettings fromConfig(Config root) {
    Config c = HttpSettings.section(root, "millrace.http");
    return new HttpSettings(
        c.getString("host"),
        c.getInt("port"),
        optionalPath(c, "tls-cert"),
        optionalPath(c, "tls-key"));
  }

  private static Path optionalPath(Config c, String key) {
    if (!c.hasPath(key) || c.getString(key).isBlank()) {
      return null;
    }
    return Path.of(c.getString(key));
  }

  /**
   * The config at {@code path} in {@code root}, falling back to this module's {@code
   * reference.conf} for keys the root lacks.
   */
  static Config section(Config root, String path) {
    return root.withFallback(ConfigFactory.defaultReference(HttpSettings.class.getClassLoader()))
        .getConfig(path);
  }
}
