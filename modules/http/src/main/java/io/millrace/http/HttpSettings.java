package io.millrace.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Where the S2 HTTP edge listens.
 *
 * @param host interface to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
 * @param port TCP port; 0 picks a free one (read it from the returned binding)
 */
public record HttpSettings(String host, int port) {

  /**
   * Reads {@code millrace.http.host} and {@code millrace.http.port}, falling back to this module's
   * {@code reference.conf}.
   */
  public static HttpSettings fromConfig(Config root) {
    Config c =
        root.withFallback(ConfigFactory.defaultReference(HttpSettings.class.getClassLoader()))
            .getConfig("millrace.http");
    return new HttpSettings(c.getString("host"), c.getInt("port"));
  }
}
