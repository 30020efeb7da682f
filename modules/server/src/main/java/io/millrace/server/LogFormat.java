package io.millrace.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * The log format of the server: {@code text} (default: one line per event) or {@code json} (one
 * JSON object per line, logback's {@code JsonEncoder}). logback.xml picks the appender from the
 * system property or environment variable {@value #VARIABLE}; {@link #apply} sets the property and
 * reloads the configuration, for {@code serve --log-format}.
 */
final class LogFormat {
  static final String VARIABLE = "MILLRACE_LOG_FORMAT";

  private LogFormat() {}

  /** A problem with the given format, or empty if it is {@code text} or {@code json}. */
  static Optional<String> problem(String format) {
    if (format == null || format.equals("text") || format.equals("json")) {
      return Optional.empty();
    }
    return Optional.of("the log format must be text or json, got '" + format + "'");
  }

  /** The format chosen by the environment or system property, if any. */
  static String fromEnvironment() {
    String p = System.getProperty(VARIABLE);
    return p != null ? p : System.getenv(VARIABLE);
  }

  /** Switches the logs to {@code format} ({@code text} or {@code json}) from now on. */
  static void apply(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    System.setProperty(VARIABLE, f);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      ctx.reset();
      try {
        new ContextInitializer(ctx).autoConfig();
      } catch (Exception e) {
        throw new StartupException("Cannot configure " + f + " logs: " + e.getMessage(), e);
      }
    }
  }
}
