package io.millrace.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Authentication settings ({@code millrace.server.auth.*}, docs/configuration.md "Authentication"),
 * read once at start.
 *
 * @param enabled whether every request under /v1 needs a valid bearer token ({@code mode = on})
 * @param rootToken the root token given by key or {@code MILLRACE_ROOT_TOKEN} ("" = none)
 * @param rootTokenFile a file holding the root token (null = none); wins over {@code rootToken}
 * @param cacheTtl how long a verified token is trusted without reading metadata: the bound on how
 *     long another node keeps accepting a revoked token
 */
public record AuthSettings(
    boolean enabled, String rootToken, Path rootTokenFile, Duration cacheTtl) {

  public static AuthSettings fromConfig(Config root) {
    Config c = root.getConfig("millrace.server.auth");
    String mode = c.getString("mode").trim().toLowerCase(Locale.ROOT);
    boolean enabled =
        switch (mode) {
          case "on" -> true;
          case "off" -> false;
          default ->
              throw new StartupException(
                  "millrace.server.auth.mode is \"" + mode + "\"; expected on or off.");
        };
    String file = c.getString("root-token-file").trim();
    Duration ttl = c.getDuration("cache-ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new StartupException("millrace.server.auth.cache-ttl must be positive.");
    }
    return new AuthSettings(
        enabled, c.getString("root-token").trim(), file.isEmpty() ? null : Path.of(file), ttl);
  }
}
